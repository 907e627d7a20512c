/**
 * Prepares an authorization server's SQLite database before it starts: the API the gateway
 * guards, the gateway's own resource-server client, a few SigV4 credentials
 * (`tessera.hmacCredentials.create`) and `count` API keys inserted directly, in batches
 * inside transactions, as bench/apikeys does. The master key is the file beside the
 * database, which `tessera serve --db sqlite:PATH` reads too.
 */
import { join } from 'node:path';
import { apiKeyDisplayPrefix, mintApiKey } from '@tessera/core';
import { openTessera, type Tessera } from '../../packages/server/src/app/tessera.ts';

const BATCH = 500;
const BATCHES_PER_TRANSACTION = 20;

export interface PreparedStore {
  readonly dbPath: string;
  readonly gateway: { readonly clientId: string; readonly clientSecret: string };
  readonly sigv4: readonly { readonly accessKeyId: string; readonly secret: string }[];
  /** Plaintext of `known` keys spread evenly over the whole table. */
  readonly apiKeys: readonly string[];
  readonly fillSeconds: number;
}

export async function prepareStore(options: {
  readonly dir: string;
  readonly count: number;
  readonly known: number;
  readonly audience: string;
  readonly scope: string;
  readonly sigv4Credentials: number;
}): Promise<PreparedStore> {
  const dbPath = join(options.dir, 'tessera.db');
  const tessera = await openTessera({
    database: { dialect: 'sqlite', path: dbPath },
    masterKey: { fromEnv: undefined, file: join(options.dir, 'master.key') },
  });
  try {
    await tessera.resourceServers.create({ audience: options.audience, scopes: [options.scope] });
    const { client, secret } = await tessera.clients.create({
      name: 'gateway',
      grantTypes: ['client_credentials'],
      authMethod: 'client_secret_basic',
      resourceServer: true,
    });
    if (secret === undefined) throw new Error('the gateway client got no secret');
    const sigv4 = [];
    for (let i = 0; i < options.sigv4Credentials; i++) {
      const made = await tessera.hmacCredentials.create({ name: `bench-${i}`, scopes: [options.scope] });
      sigv4.push({ accessKeyId: made.record.accessKeyId, secret: made.secret });
    }
    const started = performance.now();
    const apiKeys = await fill(tessera, options.count, options.known, options.scope);
    return {
      dbPath,
      gateway: { clientId: client.id, clientSecret: secret },
      sigv4,
      apiKeys,
      fillSeconds: (performance.now() - started) / 1000,
    };
  } finally {
    await tessera.close();
  }
}

async function fill(tessera: Tessera, count: number, known: number, scope: string): Promise<string[]> {
  const kept: string[] = [];
  const every = Math.max(1, Math.floor(count / known));
  const now = Math.floor(Date.now() / 1000);
  const scopes = JSON.stringify([scope]);
  for (let start = 0; start < count; start += BATCH * BATCHES_PER_TRANSACTION) {
    const end = Math.min(count, start + BATCH * BATCHES_PER_TRANSACTION);
    await tessera.database.db.transaction().execute(async (trx) => {
      for (let batch = start; batch < end; batch += BATCH) {
        const rows = [];
        for (let i = batch; i < Math.min(end, batch + BATCH); i++) {
          const key = mintApiKey('live');
          if (kept.length < known && i % every === 0) kept.push(key);
          rows.push({
            id: `key_bench_${i}`,
            name: 'bench',
            hash: tessera.minter.hash(key),
            display_prefix: apiKeyDisplayPrefix(key),
            env: 'live',
            scopes,
            created_at: now,
            expires_at: null,
            revoked_at: null,
            last_used_at: null,
            successor_id: null,
            rate_limit: null,
          });
        }
        await trx.insertInto('api_keys').values(rows).execute();
      }
    });
  }
  return kept;
}
