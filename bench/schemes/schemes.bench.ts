/**
 * Benchmark (not a test) of issue 5's API-key and SigV4 schemes:
 *
 * 1. SigV4 in one process: `verifySigV4Request` against `node:crypto` computing the same
 *    hashes and HMAC directly (the physical limit), verifications per second, p50, p99.
 * 2. Through `tessera gateway` on loopback, with 1 thousand and 1 million API keys stored
 *    (one authorization server and one gateway per size, both running, phases alternating
 *    between sizes): a public route (the reference), `X-API-Key` cycling over 1,000 known
 *    keys (first sights, then cached), and SigV4-signed GETs, each signed fresh by
 *    `signSigV4Request` as autocannon is about to send it. Target: API-key p99 with a
 *    million keys within 1.5× of p99 with a thousand.
 *
 * ```sh
 * node --conditions=tessera-source --import tsx bench/schemes/schemes.bench.ts
 *   [--duration 5] [--warmup 1] [--connections 32] [--rounds 2] [--sizes 1000,1000000]
 *   [--known 1000] [--no-pin] [--profile-gateway DIR] [--json]
 * ```
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { mintApiKey, signSigV4Request } from '@tessera/core';
import { type PreparedStore, prepareStore } from './key-store.ts';
import { EXPECTED_BODY, type LoadRequest, onePass, type PhaseResult, timedPhase } from './load.ts';
import { type Child, pinThisProcess, startChild } from './processes.ts';
import { runSigV4InProcess, type SigV4InProcessResult } from './sigv4-in-process.ts';

const AUDIENCE = 'bench-api';
const SCOPE = 'bench:read';
const REGION = 'local';
const SERVICE = 'billing';
const P99_TARGET = 1.5;
/** Well-formed keys that are not stored, sent once before the first sights are timed. */
const UNKNOWN_KEY_WARMUP = 1000;
/**
 * `@tessera/verify`'s SigV4 replay cache sweeps itself on each request once it holds this many
 * signatures (packages/verify/src/sigv4-scheme.ts); a signature stays 5 minutes.
 */
const REPLAY_SWEEP_AT = 100_000;

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    connections: { type: 'string', default: '32' },
    rounds: { type: 'string', default: '2' },
    sizes: { type: 'string', default: '1000,1000000' },
    known: { type: 'string', default: '1000' },
    'in-process-rounds': { type: 'string', default: '5' },
    'in-process-requests': { type: 'string', default: '20000' },
    'no-pin': { type: 'boolean', default: false },
    'profile-gateway': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const durationSeconds = Number(flags.duration);
const warmupSeconds = Number(flags.warmup);
const connections = Number(flags.connections);
const rounds = Number(flags.rounds);
const sizes = flags.sizes.split(',').map(Number);
const known = Number(flags.known);
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const sourceCli = join(repoRoot, 'bench/schemes/tessera-from-source.ts');
const nodeArgs = ['--conditions=tessera-source', '--import', 'tsx'];
const profileArgs =
  flags['profile-gateway'] === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${flags['profile-gateway']}`];
const pinning = flags['no-pin'] ? undefined : pinThisProcess();
const log = (line = '') => process.stdout.write(`${line}\n`);

// The children see no Tessera settings of ours: the master key is the file beside each database.
const childEnv = { ...process.env };
for (const name of ['TESSERA_MASTER_KEY', 'TESSERA_DB', 'TESSERA_CONFIG']) delete childEnv[name];

interface Stack {
  readonly size: number;
  readonly store: PreparedStore;
  readonly gateway: Child;
  readonly authServer: Child;
  readonly dir: string;
}

const children: Child[] = [];
const dirs: string[] = [];
/** Requests signed so far: each gets its own `x-request-id`. */
let signed = 0;
/** Signed requests sent to each stack's gateway. */
const signedFor = new Map<Stack, number>();
process.once('exit', () => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

try {
  await main();
} finally {
  for (const child of children.reverse()) await child.stop();
}

async function main(): Promise<void> {
  const loadBefore = loadavg();
  log('Tessera API keys and SigV4: in process, and through the gateway with 1k and 1M keys stored');
  log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}`);
  log(`load average before: ${loadBefore.map((v) => v.toFixed(2)).join(' ')}`);
  log(
    pinning === undefined
      ? 'CPU pinning: off'
      : `CPU pinning: gateways on core ${pinning.serverCore}; this process (load generator), the upstream and the authorization servers on core ${pinning.loadCore}`,
  );

  log('\n1. SigV4 verification in process');
  const inProcess = await runSigV4InProcess({
    rounds: Number(flags['in-process-rounds']),
    perRound: Number(flags['in-process-requests']),
    log,
  });
  reportInProcess(inProcess);

  log('\n2. Through the gateway');
  log(`   ${connections} connections, ${warmupSeconds} s warm-up + ${durationSeconds} s measured per phase`);
  const upstreamDir = tempDir('tessera-schemes-upstream-');
  const upstream = await start({
    nodeArgs: ['--import', 'tsx', join(repoRoot, 'bench/gateway/upstream-server.ts'), '--port', '0'],
    logFile: join(upstreamDir, 'upstream.log'),
    ready: /listening on (\S+)/,
    core: pinning?.loadCore,
  });
  const stacks: Stack[] = [];
  for (const size of sizes) stacks.push(await startStack(size, upstream.url));

  const results = new Map<string, PhaseResult[]>();
  const keep = (stack: Stack, phase: string, result: PhaseResult, label: string) => {
    const name = `${phase}/${stack.size}`;
    results.set(name, [...(results.get(name) ?? []), result]);
    report(`${label}, ${formatCount(stack.size)} keys`, result);
  };
  // Alternate which size goes first from phase to phase, so a drift in the machine's load
  // does not always favour the same one.
  let flip = false;
  const eachStack = async (work: (stack: Stack) => Promise<void>) => {
    for (const stack of flip ? [...stacks].reverse() : stacks) await work(stack);
    flip = !flip;
  };
  // Two seconds of public-route traffic through each gateway, discarded: otherwise the
  // first phase, always the first size's, would also be its gateway's JIT warm-up.
  for (const stack of stacks) {
    await timedPhase({
      origin: stack.gateway.url,
      next: publicRequest,
      connections,
      warmupSeconds: 0,
      durationSeconds: 2,
      gatewayPid: stack.gateway.pid,
      authServerPid: stack.authServer.pid,
    });
  }
  // Each timed phase runs `rounds` times per size, sizes alternating (A B B A …).
  const repeat = async (work: (stack: Stack) => Promise<void>) => {
    for (let round = 0; round < rounds; round++) await eachStack(work);
  };
  await repeat(async (stack) => {
    keep(stack, 'public', await timed(stack, () => publicRequest()), 'public route');
  });
  // The API-key path with keys that are well-formed but not stored (401, each one asked
  // about at the authorization server), so its code is compiled before anything is timed.
  await eachStack(async (stack) => {
    const warm = await onePass({
      origin: stack.gateway.url,
      requests: Array.from({ length: UNKNOWN_KEY_WARMUP }, () => apiKeyRequest(mintApiKey('live'))),
      connections,
      gatewayPid: stack.gateway.pid,
      authServerPid: stack.authServer.pid,
      accept: (status) => status === 401,
    });
    if (!warm.valid)
      throw new Error(`unknown API keys were not all refused: ${JSON.stringify(warm.statusCodes)}`);
  });
  // Each known key once: the gateway asks the authorization server, which looks it up among
  // all the keys stored. From then on the gateway answers from its cache (30 s), so every
  // cycled phase below must end within 30 s of these first sights: with the defaults the
  // last one ends about 26 s later. A cycled phase where the authorization server's CPU is
  // not near 0% had cache refreshes in it.
  await eachStack(async (stack) => {
    const firstSights = await onePass({
      origin: stack.gateway.url,
      requests: stack.store.apiKeys.map(apiKeyRequest),
      connections,
      gatewayPid: stack.gateway.pid,
      authServerPid: stack.authServer.pid,
      accept: (status, body) => status === 200 && body === EXPECTED_BODY,
    });
    keep(stack, 'apikey-first', firstSights, `API keys, ${stack.store.apiKeys.length} first sights`);
  });
  await repeat(async (stack) => {
    let next = 0;
    const keys = stack.store.apiKeys;
    const result = await timed(stack, () => apiKeyRequest(keys[next++ % keys.length] as string));
    keep(stack, 'apikey', result, `API keys, ${keys.length} cycled`);
    if ((result.cpu.authServer ?? 0) > 0.05) {
      log('     (the authorization server was busy: the gateway refreshed cached keys during this phase)');
    }
  });
  await repeat(async (stack) => {
    keep(stack, 'sigv4', await timed(stack, sigv4Requests(stack)), 'SigV4, signed per request');
  });
  for (const stack of stacks) {
    const count = signedFor.get(stack) ?? 0;
    if (count >= REPLAY_SWEEP_AT) {
      log(
        `   WARNING: the ${formatCount(stack.size)} gateway was sent ${count} signed requests within 5 minutes: past ` +
          `${REPLAY_SWEEP_AT} its replay cache is swept on every request and nothing in it has expired yet, ` +
          'so its SigV4 figures include that cost',
      );
    }
  }

  const pooled = (phase: string, size: number) => pool(results.get(`${phase}/${size}`) ?? []);
  const [small, large] = [sizes[0] as number, sizes[sizes.length - 1] as number];
  log(`\nsummary (${rounds} run${rounds === 1 ? '' : 's'} of each timed phase per size, latencies pooled)`);
  log(
    `${'phase'.padEnd(34)} ${'keys'.padStart(9)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'gw µs/req'.padStart(9)}`,
  );
  const summary: Record<string, ReturnType<typeof pooled>> = {};
  for (const phase of ['public', 'apikey-first', 'apikey', 'sigv4']) {
    for (const size of sizes) {
      const p = pooled(phase, size);
      summary[`${phase}/${size}`] = p;
      log(
        `${phase.padEnd(34)} ${formatCount(size).padStart(9)} ${p.requestsPerSecond.toFixed(0).padStart(8)} ${p.p50.toFixed(2).padStart(7)} ${p.p99.toFixed(2).padStart(7)} ${p.gatewayUsPerRequest.toFixed(0).padStart(9)}`,
      );
    }
  }
  const ratios: Record<string, number> = {};
  if (small !== large) {
    log(`\np99 with ${formatCount(large)} keys / p99 with ${formatCount(small)} keys`);
    for (const phase of ['apikey', 'apikey-first', 'sigv4', 'public']) {
      const ratio = pooled(phase, large).p99 / pooled(phase, small).p99;
      ratios[phase] = ratio;
      const verdict =
        phase === 'apikey'
          ? ` (target ≤ ${P99_TARGET}×): ${ratio <= P99_TARGET ? 'MET' : 'NOT MET'}`
          : phase === 'apikey-first'
            ? ' (first sights: lookup at the authorization server)'
            : ' (for reference)';
      log(`  ${phase.padEnd(14)} ${ratio.toFixed(2)}×${verdict}`);
    }
  }
  const invalid = [...results].filter(([, list]) => list.some((r) => !r.valid));
  if (invalid.length > 0) {
    log(`\nINVALID phases (errors or unexpected answers): ${invalid.map(([name]) => name).join(', ')}`);
    for (const [name, list] of invalid) {
      const bad = list.find((r) => !r.valid) as PhaseResult;
      log(`  ${name}: ${JSON.stringify(bad.statusCodes)} errors ${bad.errors} ${bad.sample ?? ''}`);
    }
    process.exitCode = 1;
  }
  const loadAfter = loadavg();
  log(`\nload average after: ${loadAfter.map((v) => v.toFixed(2)).join(' ')}`);
  if (flags.json) {
    log(
      JSON.stringify({
        node: process.version,
        loadBefore,
        loadAfter,
        inProcess,
        gateway: summary,
        ratios,
        fillSeconds: Object.fromEntries(stacks.map((s) => [s.size, s.store.fillSeconds])),
      }),
    );
  }
}

async function startStack(size: number, upstreamUrl: string): Promise<Stack> {
  const dir = tempDir(`tessera-schemes-${size}-`);
  const store = await prepareStore({
    dir,
    count: size,
    known,
    audience: AUDIENCE,
    scope: SCOPE,
    sigv4Credentials: 4,
  });
  log(`   ${formatCount(size)} API keys stored in ${store.fillSeconds.toFixed(1)} s`);
  const asPort = await freePort();
  const as = await start({
    nodeArgs: [
      ...nodeArgs,
      sourceCli,
      'serve',
      '--db',
      `sqlite:${store.dbPath}`,
      '--port',
      String(asPort),
      '--host',
      '127.0.0.1',
    ],
    logFile: join(dir, 'server.log'),
    ready: /listening on (\S+)/,
    core: pinning?.loadCore,
  });
  const configFile = join(dir, 'gateway.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      listen: { host: '127.0.0.1', port: 0 },
      issuer: as.url,
      audience: AUDIENCE,
      upstream: upstreamUrl,
      credentials: { client_id: store.gateway.clientId, client_secret: store.gateway.clientSecret },
      schemes: ['apikey', 'sigv4'],
      sigv4: { region: REGION, service: SERVICE },
      routes: [
        { method: 'GET', path: '/protected', scopes: [SCOPE] },
        { method: 'GET', path: '/public', public: true },
      ],
    }),
  );
  const gateway = await start({
    nodeArgs: [...nodeArgs, ...profileArgs, sourceCli, 'gateway', '--config', configFile],
    logFile: join(dir, 'gateway.log'),
    ready: /^Tessera gateway listening on (\S+)$/m,
    core: pinning?.serverCore,
  });
  const stack = { size, store, gateway, authServer: as, dir };
  await preflight(stack);
  return stack;
}

/** Once, outside any measurement: each path authenticates as it should. */
async function preflight(stack: Stack): Promise<void> {
  const statusOf = async (request: LoadRequest) =>
    (await fetch(new URL(request.path, stack.gateway.url), { headers: request.headers })).status;
  const statuses = [
    await statusOf({ method: 'GET', path: '/protected', headers: {} }),
    await statusOf(apiKeyRequest(mintApiKey('live'))),
    await statusOf(sigv4Requests(stack)()),
    await statusOf(publicRequest()),
  ];
  if (statuses.join() !== '401,401,200,200') {
    throw new Error(
      `unexpected pre-flight statuses ${statuses.join()} (expected 401,401,200,200):\n${stack.gateway.recentOutput()}`,
    );
  }
}

function timed(stack: Stack, next: () => LoadRequest): Promise<PhaseResult> {
  return timedPhase({
    origin: stack.gateway.url,
    next,
    connections,
    warmupSeconds,
    durationSeconds,
    gatewayPid: stack.gateway.pid,
    authServerPid: stack.authServer.pid,
  });
}

function publicRequest(): LoadRequest {
  return { method: 'GET', path: '/public', headers: {} };
}

function apiKeyRequest(key: string): LoadRequest {
  return { method: 'GET', path: '/protected', headers: { 'x-api-key': key } };
}

/**
 * Fresh SigV4-signed GETs over the stack's credentials. Each carries a distinct signed
 * `x-request-id`: identical requests signed in the same second share a signature, and the
 * gateway would refuse the second as a replay.
 */
function sigv4Requests(stack: Stack): () => LoadRequest {
  const host = new URL(stack.gateway.url).host;
  const url = `http://${host}/protected`;
  return () => {
    const n = signed++;
    signedFor.set(stack, (signedFor.get(stack) ?? 0) + 1);
    const credential = stack.store.sigv4[n % stack.store.sigv4.length] as PreparedStore['sigv4'][number];
    const headers = { host, 'x-request-id': `bench-${n.toString(36)}` };
    const signature = signSigV4Request({
      method: 'GET',
      url,
      headers,
      accessKeyId: credential.accessKeyId,
      secretAccessKey: credential.secret,
      region: REGION,
      service: SERVICE,
    });
    return { method: 'GET', path: '/protected', headers: { ...headers, ...signature.headers } };
  };
}

function pool(list: readonly PhaseResult[]) {
  const all = new Float64Array(list.reduce((sum, r) => sum + r.latencies.length, 0));
  let offset = 0;
  for (const r of list) {
    all.set(r.latencies, offset);
    offset += r.latencies.length;
  }
  all.sort();
  const at = (q: number) => all[Math.min(all.length - 1, Math.max(0, Math.ceil(q * all.length) - 1))] ?? NaN;
  const mean = (pick: (r: PhaseResult) => number | undefined) =>
    list.reduce((sum, r) => sum + (pick(r) ?? NaN), 0) / list.length;
  return {
    requestsPerSecond: mean((r) => r.requestsPerSecond),
    p50: at(0.5),
    p99: at(0.99),
    gatewayUsPerRequest: mean((r) => r.gatewayUsPerRequest),
    samples: all.length,
  };
}

function report(label: string, r: PhaseResult): void {
  const gateway =
    r.cpu.gateway === undefined
      ? ''
      : `, gateway CPU ${(r.cpu.gateway * 100).toFixed(0)}% (${(r.gatewayUsPerRequest ?? NaN).toFixed(0)} µs/req)`;
  const authServer =
    r.cpu.authServer === undefined
      ? ''
      : `, authorization server CPU ${(r.cpu.authServer * 100).toFixed(0)}%`;
  log(
    `   ${label.padEnd(44)} ${r.requestsPerSecond.toFixed(0).padStart(6)} req/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms${gateway}${authServer}, load generator CPU ${(r.cpu.loadGenerator * 100).toFixed(0)}%${r.valid ? '' : '  INVALID'}`,
  );
}

function reportInProcess(r: SigV4InProcessResult): void {
  const row = (label: string, rate: SigV4InProcessResult['raw']) =>
    log(
      `   ${label.padEnd(52)} ${rate.perSecond.toFixed(0).padStart(8)}/s  p50 ${rate.p50Us.toFixed(1).padStart(5)} µs  p99 ${rate.p99Us.toFixed(1).padStart(6)} µs`,
    );
  log(`   ${r.rounds} rounds × ${r.perRound} distinct signed GETs, contenders alternating`);
  row('verifySigV4Request (key cached, Map replay check)', r.tessera);
  row('raw node:crypto: 2 × SHA-256 + HMAC + compare', r.raw);
  row('raw, deriving the day key each time (+4 HMACs)', r.rawWithDerivation);
  log(`   Tessera / raw: ${r.ratio.toFixed(2)}× (median of rounds)`);
  log(`   Tessera / raw with derivation: ${r.ratioWithDerivation.toFixed(2)}×`);
}

async function start(options: Omit<Parameters<typeof startChild>[0], 'cwd' | 'env'>): Promise<Child> {
  const child = await startChild({ ...options, cwd: repoRoot, env: childEnv });
  children.push(child);
  return child;
}

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

function formatCount(n: number): string {
  return n >= 1_000_000 && n % 1_000_000 === 0
    ? `${n / 1_000_000}M`
    : n >= 1000 && n % 1000 === 0
      ? `${n / 1000}k`
      : String(n);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
