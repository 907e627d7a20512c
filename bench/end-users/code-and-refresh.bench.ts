/**
 * Benchmark (not a test) of issue 3: full authorization-code exchanges and refresh-token
 * rotations per second, on SQLite and on PostgreSQL, with sign-ins per second beside them.
 *
 * ```sh
 * TESSERA_TEST_POSTGRES_URL=postgres://tessera:tessera@127.0.0.1:5432/tessera \
 *   node --conditions=tessera-source --import tsx bench/end-users/code-and-refresh.bench.ts
 *   [--duration 10] [--warmup 2] [--users 16] [--databases sqlite,postgres] [--no-pin]
 *   [--phases credentials,exchange,refresh,sign-in] [--profile-server DIR] [--json]
 * ```
 *
 * For each database, `tessera serve` runs in its own process (pinned to core 1, this process
 * to core 0), with one confidential client, one client-credentials client and one user per
 * virtual user, each signed in and consented once before anything is timed. Phases:
 * client-credentials tokens (the reference: the same server and access-token signing without
 * a user's grant), code exchanges (`/authorize` with the session + `/token` with code and PKCE
 * verifier), refresh rotations, sign-ins (POST `/login`, argon2id). Then a canned `node:http`
 * server, loaded the same way, gives the physical limit. Every phase is printed with its
 * ratio to both, in operations per second and in server CPU per operation.
 * Exits 1 when a server could not be set up or any phase saw an error.
 */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openTessera } from '@tessera/server';
import pg from 'pg';
import type { Client } from 'undici';
import { type PhaseResult, runPhase, type Watched } from './closed-loop.ts';
import {
  type AppClient,
  basic,
  clientCredentials,
  EndUser,
  openConnection,
  REDIRECT_URI,
  SCOPE,
  SignInLoop,
  type TokenShape,
} from './end-user.ts';
import { pinThisProcess, type Server, startServer } from './processes.ts';

const PASSWORD = 'correct horse battery staple';
const LOAD_CORE = 0;
const SERVER_CORE = 1;
/** Machine CPU (in cores) used by none of the processes measured, above which a phase is flagged. */
const BUSY = 0.2;
/** Share of the time off the event loop (blocked or idle) above which that is called out. */
const OFF_LOOP = 0.2;
/** Share of the time the server waited for its core above which that is called out. */
const QUEUED = 0.1;

type Phase = 'client credentials' | 'code exchange' | 'refresh rotation' | 'sign-in';
const PHASES: readonly Phase[] = ['client credentials', 'code exchange', 'refresh rotation', 'sign-in'];
/** HTTP requests per operation. */
const REQUESTS: Record<Phase, number> = {
  'client credentials': 1,
  'code exchange': 2,
  'refresh rotation': 1,
  'sign-in': 1,
};

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    users: { type: 'string', default: '16' },
    databases: { type: 'string', default: 'sqlite,postgres' },
    'no-pin': { type: 'boolean', default: false },
    phases: { type: 'string', default: 'credentials,exchange,refresh,sign-in' },
    'profile-server': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const durationSeconds = integer('duration', flags.duration, 1, 120);
const warmupSeconds = integer('warmup', flags.warmup, 0, 60);
const userCount = integer('users', flags.users, 1, 256);
const databases = flags.databases.split(',').map((name) => {
  if (name !== 'sqlite' && name !== 'postgres') throw new Error(`--databases: unknown ${name}`);
  return name;
});
const selected = new Set(flags.phases.split(','));
for (const name of selected) {
  if (!['credentials', 'exchange', 'refresh', 'sign-in'].includes(name))
    throw new Error(`--phases: unknown ${name}`);
}
const postgresUrl = process.env.TESSERA_TEST_POSTGRES_URL;
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const serveEntry = join(repoRoot, 'bench/end-users/serve-from-source.ts');
const cannedEntry = join(repoRoot, 'bench/end-users/canned-server.ts');
const profileArgs =
  flags['profile-server'] === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${flags['profile-server']}`];

// Read before pinning, which narrows this process's own view to one core.
const cpuCount = availableParallelism();
const pinned = !flags['no-pin'] && cpuCount >= 2 && pinThisProcess(LOAD_CORE);
const serverCore = pinned ? SERVER_CORE : undefined;
const childEnv: NodeJS.ProcessEnv = { ...process.env };
for (const name of ['TESSERA_MASTER_KEY', 'TESSERA_DB', 'TESSERA_CONFIG', 'TESSERA_LOG_LEVEL'])
  delete childEnv[name];

/** Undone at the end, however the run ends. */
const cleanups: (() => Promise<void>)[] = [];
process.once('SIGINT', () => {
  console.log('\nSIGINT: cleaning up');
  void cleanUp().finally(() => process.exit(130));
});

interface DatabaseRun {
  readonly phases: Map<Phase, PhaseResult>;
  readonly notes: string[];
  failure?: string;
  skipped?: string;
}

const runs = new Map<string, DatabaseRun>();
let canned: PhaseResult | undefined;
let tokenBytes = 1600;
const loadBefore = loadavg();

try {
  console.log('Tessera end users: code exchange, refresh rotation, sign-in (issue 3)');
  console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpuCount}`);
  console.log(`load average before: ${loadBefore.map((v) => v.toFixed(2)).join(' ')}`);
  console.log(
    pinned
      ? `CPU pinning: each server on core ${SERVER_CORE}, this process (load generator) on core ${LOAD_CORE}; PostgreSQL is not pinned`
      : 'CPU pinning: off',
  );
  console.log(
    `${userCount} virtual users, each on one keep-alive connection; ${warmupSeconds} s warm-up + ${durationSeconds} s per phase`,
  );
  const floor = signingFloor();
  console.log(
    `signing alone, in this process: ES256 ${floor.es256.toFixed(0)} µs, RS256 ${floor.rs256.toFixed(0)} µs (median of 5 rounds)`,
  );
  const disk = fsyncProbe();
  console.log(
    `disk: ${disk.perSecond.toFixed(0)} fdatasync/s of a 4 KiB write in ${tmpdir()} (${disk.meanMs.toFixed(2)} ms each)\n`,
  );

  for (const database of databases) {
    const run: DatabaseRun = { phases: new Map(), notes: [] };
    runs.set(database, run);
    console.log(`== ${database}`);
    if (database === 'postgres' && postgresUrl === undefined) {
      run.skipped = 'not run: TESSERA_TEST_POSTGRES_URL is not set';
      console.log(`   ${run.skipped}\n`);
      continue;
    }
    try {
      await runDatabase(database, run);
    } catch (error) {
      run.failure = error instanceof Error ? error.message : String(error);
      console.log(`   FAILED: ${run.failure.split('\n').join('\n   ')}`);
    }
    console.log('');
  }

  console.log('== canned node:http server (the physical limit)');
  canned = await runCanned().catch((error: unknown) => {
    console.log(`   FAILED: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  });
  if (canned !== undefined) console.log(`   ${describe(canned, 1)}\n`);

  const loadAfter = loadavg();
  summary(floor);
  console.log(`\nload average after: ${loadAfter.map((v) => v.toFixed(2)).join(' ')}`);
  if (flags.json) {
    console.log(
      JSON.stringify({
        node: process.version,
        cpus: cpuCount,
        pinned,
        users: userCount,
        warmupSeconds,
        durationSeconds,
        loadBefore,
        loadAfter,
        signingFloorUs: floor,
        disk,
        canned: canned ?? null,
        databases: Object.fromEntries(
          [...runs].map(([name, run]) => [
            name,
            {
              failure: run.failure ?? null,
              skipped: run.skipped ?? null,
              notes: run.notes,
              phases: Object.fromEntries(run.phases),
            },
          ]),
        ),
      }),
    );
  }
  const valid =
    canned !== undefined &&
    canned.errors === 0 &&
    [...runs.values()].every(
      (run) => run.failure === undefined && [...run.phases.values()].every((r) => r.errors === 0),
    );
  process.exitCode = valid ? 0 : 1;
} finally {
  await cleanUp();
}

async function runDatabase(database: 'sqlite' | 'postgres', run: DatabaseRun): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `tessera-bench-end-users-${database}-`));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const masterKey = randomBytes(32).toString('base64url');

  let dbUrl: string;
  let helperPids: Watched['helperPids'];
  if (database === 'sqlite') {
    dbUrl = `sqlite:${join(dir, 'tessera.db')}`;
  } else {
    const throwaway = await createPostgresDatabase(postgresUrl as string);
    dbUrl = throwaway.url;
    helperPids = throwaway.backendPids;
    run.notes.push(`database ${throwaway.name} (dropped at the end)`);
  }

  // The state every virtual user starts from, written before the server starts.
  const tessera = await openTessera({
    database:
      database === 'sqlite'
        ? { dialect: 'sqlite', path: dbUrl.slice(7) }
        : { dialect: 'postgres', url: dbUrl },
    masterKey: { fromEnv: masterKey, file: join(dir, 'master.key') },
  });
  let app: AppClient;
  let service: AppClient;
  const usernames: string[] = [];
  try {
    const made = await tessera.clients.create({
      name: 'Bench App',
      grantTypes: ['authorization_code', 'refresh_token'],
      redirectUris: [REDIRECT_URI],
      scopes: ['bench:read'],
    });
    const worker = await tessera.clients.create({
      name: 'Bench Service',
      grantTypes: ['client_credentials'],
      scopes: ['bench:read'],
    });
    if (made.secret === undefined || worker.secret === undefined) throw new Error('a client got no secret');
    app = { id: made.client.id, authorization: basic(made.client.id, made.secret) };
    service = { id: worker.client.id, authorization: basic(worker.client.id, worker.secret) };
    for (let i = 0; i < userCount; i++) {
      const username = `bench-user-${i}`;
      await tessera.users.create({
        username,
        password: PASSWORD,
        email: `${username}@example.com`,
        name: `User ${i}`,
      });
      usernames.push(username);
    }
  } finally {
    await tessera.close();
  }

  const server = await startServer({
    nodeArgs: [
      '--conditions=tessera-source',
      '--import',
      'tsx',
      ...profileArgs,
      serveEntry,
      'serve',
      '--db',
      dbUrl,
      '--port',
      '0',
      '--host',
      '127.0.0.1',
    ],
    cwd: repoRoot,
    env: { ...childEnv, TESSERA_MASTER_KEY: masterKey },
    logFile: join(dir, 'server.log'),
    core: serverCore,
    ready: /listening on (\S+)/,
  });
  cleanups.push(server.stop);
  console.log(`   tessera serve pid ${server.pid} at ${server.url}, ${dbUrl.replace(/\/\/[^@]*@/, '//…@')}`);
  const watched: Watched = { serverPid: server.pid, helperPids };
  const common = { warmupSeconds, durationSeconds, watched };
  const keep = (phase: Phase, result: PhaseResult) => {
    run.phases.set(phase, result);
    console.log(`   ${phase.padEnd(18)} ${describe(result, REQUESTS[phase])}`);
    if (result.firstError !== undefined) console.log(`     first error: ${result.firstError}`);
  };

  try {
    const users = usernames.map((name) => new EndUser(server.url, name, PASSWORD, app));
    let shape: TokenShape | undefined;
    for (const user of users) shape = await user.signInOnce();
    if (shape !== undefined) {
      tokenBytes = Math.max(tokenBytes, shape.bytes);
      run.notes.push(
        `token response ${shape.bytes} bytes: access token ${shape.accessTokenAlg}, ID token ${shape.idTokenAlg ?? 'none'}, ` +
          `refresh token ${shape.refreshToken ? 'yes' : 'NO'}, scope "${shape.scope}"`,
      );
    }
    console.log(`   ${users.length} users signed in and consented once (scope "${SCOPE}")`);
    for (const note of run.notes) console.log(`   ${note}`);

    if (selected.has('credentials')) {
      const connections = users.map(() => openConnection(server.url));
      keep(
        'client credentials',
        await runPhase({
          ...common,
          users: connections,
          iterate: (connection: Client) => clientCredentials(connection, service.authorization),
        }),
      );
      await Promise.all(connections.map((c) => c.close()));
    }
    if (selected.has('exchange')) {
      keep('code exchange', await runPhase({ ...common, users, iterate: (user) => user.exchange() }));
    }
    if (selected.has('refresh')) {
      keep(
        'refresh rotation',
        await runPhase({
          ...common,
          users,
          iterate: (user) => user.rotate(),
          // A failed rotation may leave the user without a live token: start a new grant.
          recover: (user) => user.exchange(),
        }),
      );
      const withId = users.reduce((sum, u) => sum + u.idTokensOnRefresh, 0);
      const refreshes = users.reduce((sum, u) => sum + u.refreshes, 0);
      run.notes.push(`${withId} of ${refreshes} refresh responses carried an ID token`);
      console.log(`   ${run.notes[run.notes.length - 1]}`);
    }
    await Promise.all(users.map((u) => u.close()));

    if (selected.has('sign-in')) {
      const signIns = usernames.map((name) => new SignInLoop(server.url, name, PASSWORD));
      for (const loop of signIns) await loop.prepare();
      keep('sign-in', await runPhase({ ...common, users: signIns, iterate: (loop) => loop.signIn() }));
      await Promise.all(signIns.map((loop) => loop.close()));
    }
  } catch (error) {
    throw new Error(
      `${error instanceof Error ? error.message : String(error)}\n--- server output ---\n${server.lastOutput()}`,
    );
  } finally {
    await server.stop();
  }
}

/** A throwaway database on the server at `adminUrl`, dropped at the end of the run. */
async function createPostgresDatabase(adminUrl: string) {
  const name = `tessera_bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  cleanups.push(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch((error: unknown) => {
      console.log(`could not drop ${name}: ${error instanceof Error ? error.message : String(error)}`);
    });
    await admin.end();
  });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    /** The backends serving the throwaway database: the Tessera server's pool. */
    backendPids: async (): Promise<number[]> => {
      const result = await admin.query<{ pid: number }>(
        'SELECT pid FROM pg_stat_activity WHERE datname = $1',
        [name],
      );
      return result.rows.map((row) => row.pid);
    },
  };
}

async function runCanned(): Promise<PhaseResult> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-bench-end-users-canned-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const server: Server = await startServer({
    nodeArgs: ['--import', 'tsx', cannedEntry, '--bytes', String(tokenBytes)],
    cwd: repoRoot,
    env: childEnv,
    logFile: join(dir, 'canned.log'),
    core: serverCore,
    ready: /listening on (\S+)/,
  });
  cleanups.push(server.stop);
  console.log(`   pid ${server.pid}, ${tokenBytes}-byte answers to the client-credentials request`);
  const connections = Array.from({ length: userCount }, () => openConnection(server.url));
  try {
    return await runPhase({
      users: connections,
      iterate: (connection) => clientCredentials(connection, basic('canned', 'canned')),
      warmupSeconds,
      durationSeconds,
      watched: { serverPid: server.pid },
    });
  } finally {
    await Promise.all(connections.map((c) => c.close()));
    await server.stop();
  }
}

function summary(floor: { es256: number; rs256: number }): void {
  console.log('== summary');
  const header = [
    'database',
    'phase',
    'ops/s',
    'req/s',
    'p50 ms',
    'p99 ms',
    'srv cores',
    'loop run',
    'loop queued',
    'loop off',
    'srv µs/op',
    'db µs/op',
    'gen',
    'other',
    'errors',
  ];
  const rows: string[][] = [header];
  const row = (database: string, phase: string, r: PhaseResult, requests: number) => [
    database,
    phase,
    r.perSecond.toFixed(0),
    (r.perSecond * requests).toFixed(0),
    r.p50.toFixed(2),
    r.p99.toFixed(2),
    cores(r.cpu.server),
    cores(r.cpu.serverLoop),
    cores(r.cpu.serverQueued),
    cores(offLoop(r)),
    us(r.serverUs),
    us(r.databaseUs),
    cores(r.cpu.loadGenerator),
    cores(r.cpu.other),
    String(r.errors),
  ];
  for (const [database, run] of runs) {
    if (run.failure !== undefined) rows.push([database, 'FAILED (see above)']);
    if (run.skipped !== undefined) rows.push([database, run.skipped]);
    for (const phase of PHASES) {
      const r = run.phases.get(phase);
      if (r !== undefined) rows.push(row(database, phase, r, REQUESTS[phase]));
    }
  }
  if (canned !== undefined) rows.push(row('-', 'canned node:http', canned, 1));
  table(rows);

  console.log('\nratios (operations/s, then server CPU per operation; an exchange is 2 requests):');
  for (const [database, run] of runs) {
    const reference = run.phases.get('client credentials');
    for (const phase of PHASES) {
      if (phase === 'client credentials') continue;
      const r = run.phases.get(phase);
      if (r === undefined) continue;
      const parts: string[] = [];
      if (reference !== undefined) {
        parts.push(
          `${ratio(r.perSecond, reference.perSecond)} client-credentials tokens/s, CPU ${ratio(r.serverUs, reference.serverUs)} a token`,
        );
      }
      if (canned !== undefined) {
        parts.push(
          `${ratio(r.perSecond, canned.perSecond)} canned req/s, CPU ${ratio(r.serverUs, canned.serverUs)} a canned answer`,
        );
      }
      console.log(`  ${database.padEnd(8)} ${phase.padEnd(18)} ${parts.join('; ')}`);
    }
    if (reference !== undefined && canned !== undefined) {
      console.log(
        `  ${database.padEnd(8)} ${'client credentials'.padEnd(18)} ${ratio(reference.perSecond, canned.perSecond)} canned req/s, CPU ${ratio(reference.serverUs, canned.serverUs)} a canned answer`,
      );
    }
  }
  const signing = floor.es256 + floor.rs256;
  console.log(
    `\nsigning floor of an exchange or a rotation (one ES256 access token + one RS256 ID token): ${signing.toFixed(0)} µs`,
  );
  for (const [database, run] of runs) {
    for (const phase of ['code exchange', 'refresh rotation'] as const) {
      const r = run.phases.get(phase);
      if (r?.serverUs === undefined) continue;
      console.log(
        `  ${database.padEnd(8)} ${phase.padEnd(18)} signing is ${((signing / r.serverUs) * 100).toFixed(0)}% of the server's ${r.serverUs.toFixed(0)} µs`,
      );
    }
  }
  for (const [database, run] of runs) {
    for (const [phase, r] of run.phases) {
      const queued = r.cpu.serverQueued ?? 0;
      const off = offLoop(r);
      if (off !== undefined && off >= OFF_LOOP) {
        console.log(
          `note: ${database} ${phase}: the server's event loop was neither running nor waiting for its core ` +
            `${cores(off)} of the time: blocked in a system call (a synchronous SQLite commit) or idle (awaiting ` +
            'the database, or the thread pool where argon2id runs)',
        );
      }
      if (queued >= QUEUED) {
        console.log(
          `note: ${database} ${phase}: the server's event loop was ready to run but its core was taken ${cores(queued)} of the time`,
        );
      }
      if ((r.cpu.other ?? 0) > BUSY) {
        console.log(
          `note: ${database} ${phase}: ${cores(r.cpu.other)} of a core went to other processes or the kernel; the machine was not quiet`,
        );
      }
    }
  }
}

function describe(r: PhaseResult, requests: number): string {
  const db = r.databaseUs === undefined ? '' : `, PostgreSQL backends ${us(r.databaseUs)} µs/op`;
  return (
    `${r.perSecond.toFixed(0).padStart(6)}/s (${(r.perSecond * requests).toFixed(0)} req/s), p50 ${r.p50.toFixed(2)} ms, ` +
    `p99 ${r.p99.toFixed(2)} ms; server ${cores(r.cpu.server)} of a core (event loop ran ${cores(r.cpu.serverLoop)}, ` +
    `waited for the core ${cores(r.cpu.serverQueued)}), ` +
    `${us(r.serverUs)} µs/op${db}; ` +
    `load generator ${cores(r.cpu.loadGenerator)}, other ${cores(r.cpu.other)}; errors ${r.errors}`
  );
}

/** Median µs of one ES256 and one RS256 signature over a token-sized payload. */
function signingFloor(): { es256: number; rs256: number } {
  const payload = Buffer.from('x'.repeat(600));
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const time = (work: () => void, n: number) => {
    const rounds: number[] = [];
    for (let round = 0; round < 5; round++) {
      const started = performance.now();
      for (let i = 0; i < n; i++) work();
      rounds.push(((performance.now() - started) * 1000) / n);
    }
    return rounds.sort((a, b) => a - b)[2] as number;
  };
  return {
    es256: time(() => sign('sha256', payload, { key: ec, dsaEncoding: 'ieee-p1363' }), 1000),
    rs256: time(() => sign('sha256', payload, rsa), 100),
  };
}

/** How many 4 KiB write + fdatasync pairs the temporary directory's disk does in a second. */
function fsyncProbe(): { perSecond: number; meanMs: number } {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-bench-fsync-'));
  const fd = openSync(join(dir, 'probe'), 'w');
  const block = randomBytes(4096);
  let count = 0;
  const started = performance.now();
  try {
    while (performance.now() - started < 1500) {
      writeSync(fd, block);
      fdatasyncSync(fd);
      count++;
    }
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
  const ms = performance.now() - started;
  return { perSecond: (count * 1000) / ms, meanMs: ms / count };
}

async function cleanUp(): Promise<void> {
  for (const undo of cleanups.splice(0).reverse()) {
    await undo().catch(() => {});
  }
}

/** Share of the window the event loop neither ran nor waited for its core: blocked in a system call, or idle. */
function offLoop(r: PhaseResult): number | undefined {
  const { serverLoop, serverQueued } = r.cpu;
  return serverLoop === undefined || serverQueued === undefined
    ? undefined
    : Math.max(0, 1 - serverLoop - serverQueued);
}

function cores(value: number | undefined): string {
  return value === undefined ? 'n/a' : `${(value * 100).toFixed(0)}%`;
}

function us(value: number | undefined): string {
  return value === undefined ? '-' : value.toFixed(0);
}

function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || b === 0) return 'n/a';
  const r = a / b;
  return `${r < 0.1 ? r.toFixed(3) : r.toFixed(2)}×`;
}

function table(rows: readonly string[][]): void {
  const widths = (rows[0] ?? []).map((_, column) =>
    Math.max(...rows.map((row) => (row[column] ?? '').length)),
  );
  for (const row of rows) {
    console.log(
      row
        .map((cell, column) =>
          column < 2 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
        )
        .join('  ')
        .trimEnd(),
    );
  }
}

function integer(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`--${name} must be an integer from ${min} to ${max}`);
  return n;
}
