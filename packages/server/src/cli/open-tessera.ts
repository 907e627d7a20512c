import { openTessera, type Tessera } from '../app/tessera.js';
import { DEFAULT_SETTINGS, masterKeyFile } from '../config/server-config.js';
import { parseDatabaseUrl } from '../store/database.js';
import { UsageError } from './usage-error.js';

/** Opens the state a command works on: `--db`, else `TESSERA_DB`, else the embedded default. */
function openFromFlags(db: string | undefined): Promise<Tessera> {
  const url = db ?? process.env.TESSERA_DB ?? DEFAULT_SETTINGS.db;
  const database = parseDatabaseUrl(url, process.cwd());
  if (database === null) throw new UsageError('--db must be sqlite:PATH or postgres://…');
  return openTessera({
    database,
    masterKey: { fromEnv: process.env.TESSERA_MASTER_KEY, file: masterKeyFile(database, process.cwd()) },
  });
}

/** Runs `work` with the state open, and closes it whatever happens. */
export async function withTessera<T>(
  db: string | undefined,
  work: (tessera: Tessera) => Promise<T>,
): Promise<T> {
  const tessera = await openFromFlags(db);
  try {
    return await work(tessera);
  } finally {
    await tessera.close();
  }
}
