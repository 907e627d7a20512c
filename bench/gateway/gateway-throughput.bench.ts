/**
 * Benchmark (not a test) of issue 4's gateway targets, over HTTP on loopback, in one run:
 *
 * - `plain`: a plain `node:http` + `undici` pass-through proxy (`plain-proxy.ts`);
 * - `public`: `tessera gateway` on a public route;
 * - `repeated`: the same gateway on a protected route, with one Bearer JWT sent again and again;
 * - `distinct`: the same, with more distinct JWTs than the verified-token cache holds, cycled, so
 *   every request costs a full verification;
 * - `dpop` (issue 6): the same protected route with one DPoP-bound JWT and a fresh DPoP proof per
 *   request (`dpop.ts`), proofs signed before the phase.
 *
 * All of them forward to the same trivial upstream (`upstream-server.ts`). The proxy under load runs
 * on core 1; the load generator (this process), the upstream and the authorization server on core 0.
 *
 * ```sh
 * node --import tsx bench/gateway/gateway-throughput.bench.ts [--duration 5] [--warmup 2] [--rounds 2]
 *   [--connections 32] [--tokens 12000] [--phases plain,public,repeated,distinct,dpop] [--dpop-rate N]
 *   [--no-build] [--no-pin] [--json]
 * ```
 *
 * Prints requests/s, p50 and p99 per phase, CPU per request, and whether the targets hold:
 * a repeated token costs under 15% of the public route's throughput; the public route reaches at
 * least 0.9× the plain proxy; distinct tokens cost no more CPU per request than the public route
 * plus 1.1× one raw `node:crypto` ES256 verification. For DPoP: its throughput and CPU per request
 * against the repeated Bearer token and the plain proxy, and, in process, `verifyDpopProof` against
 * a raw ES256 verification.
 */

import { spawn } from 'node:child_process';
import { createPublicKey, type JsonWebKey, verify } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type Pinning, pinLoadGenerator, runNode, startServer } from '../oauth/child-processes.ts';
import { type PhaseRequest, type PhaseResult, runPhase } from '../oauth/load-phase.ts';
import { gatewayNonce, mintDpopToken, newDpopKey, proofVerificationCosts, signProofs } from './dpop.ts';

const AUDIENCE = 'bench-api';
const SCOPE = 'bench:read';
const UPSTREAM_BODY = '{"ok":true}';
const START_TIMEOUT_MS = 60_000;
const CLI_TIMEOUT_MS = 60_000;

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '2' },
    connections: { type: 'string', default: '32' },
    tokens: { type: 'string', default: '12000' },
    phases: { type: 'string', default: 'plain,public,repeated,distinct,dpop' },
    'dpop-rate': { type: 'string' },
    'no-build': { type: 'boolean', default: false },
    'no-pin': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});
const durationSeconds = Number(flags.duration);
const warmupSeconds = Number(flags.warmup);
const connections = Number(flags.connections);
const tokenCount = Number(flags.tokens);
const rounds = Number(flags.rounds);
const PHASE_NAMES = ['plain', 'public', 'repeated', 'distinct', 'dpop'] as const;
type PhaseName = (typeof PHASE_NAMES)[number];
type RoundResults = Partial<Record<PhaseName, PhaseResult>>;
const selected = new Set(flags.phases.split(',').map((name) => name.trim()));
for (const name of selected) {
  if (!(PHASE_NAMES as readonly string[]).includes(name)) throw new Error(`unknown phase ${name}`);
}
/** Proofs signed per second of a DPoP phase; by default 1.5× the best repeated-token rate so far. */
const dpopRate = flags['dpop-rate'] === undefined ? undefined : Number(flags['dpop-rate']);
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const tessera = join(repoRoot, 'packages/server/bin/tessera.js');

const cpuCount = availableParallelism();
const pinning = flags['no-pin'] ? undefined : pinLoadGenerator();
/** Everything but the proxy under load shares the load generator's core. */
const sideCore: Pinning | undefined = pinning && { serverCore: pinning.loadCore, loadCore: pinning.loadCore };

const children: { stop(): Promise<void> }[] = [];
const dir = mkdtempSync(join(tmpdir(), 'tessera-gateway-bench-'));
process.once('exit', () => rmSync(dir, { recursive: true, force: true }));

try {
  await main();
} finally {
  for (const child of children.reverse()) await child.stop();
}

async function main(): Promise<void> {
  console.log('tessera gateway vs a plain node:http + undici proxy, Bearer JWT (ES256)');
  console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpuCount}`);
  console.log(
    pinning === undefined
      ? 'CPU pinning: off'
      : `CPU pinning: proxy under load on core ${pinning.serverCore}; load generator, upstream and authorization server on core ${pinning.loadCore}`,
  );
  console.log(
    `${connections} connections, ${warmupSeconds} s warm-up + ${durationSeconds} s measured per phase\n`,
  );

  if (!flags['no-build']) {
    const built = await runNode([join(repoRoot, 'node_modules/typescript/bin/tsc'), '-b'], {
      cwd: repoRoot,
      timeoutMs: 600_000,
    });
    if (built.status !== 0) throw new Error(`tsc -b failed:\n${built.stdout}${built.stderr}`);
  }
  if (!existsSync(join(repoRoot, 'packages/server/dist/cli/main.js')))
    throw new Error('run `npx tsc -b` first');

  // The authorization server, set up through the public CLI only.
  const db = `sqlite:${join(dir, 't.db')}`;
  await cli(['api', 'create', '--db', db, '--audience', AUDIENCE, '--scope', SCOPE, '--json']);
  const caller = await cli([
    'client',
    'create',
    '--db',
    db,
    '--name',
    'caller',
    '--grant',
    'client_credentials',
    '--scope',
    SCOPE,
    '--audience',
    AUDIENCE,
    '--json',
  ]);
  const own = await cli([
    'client',
    'create',
    '--db',
    db,
    '--name',
    'gateway',
    '--grant',
    'client_credentials',
    '--resource-server',
    '--json',
  ]);
  const asPort = await freePort();
  await start(
    [tessera, 'serve', '--db', db, '--port', String(asPort), '--host', '127.0.0.1'],
    sideCore,
    (line) => line.includes(`127.0.0.1:${asPort}`),
  );
  const issuer = `http://127.0.0.1:${asPort}`;

  const upstream = await start(
    ['--import', 'tsx', join(repoRoot, 'bench/gateway/upstream-server.ts'), '--port', '0'],
    sideCore,
    (line) => line.includes('listening on'),
  );
  const plain = await start(
    [
      '--import',
      'tsx',
      join(repoRoot, 'bench/gateway/plain-proxy.ts'),
      '--port',
      '0',
      '--upstream',
      upstream.url,
    ],
    pinning,
    (line) => line.includes('listening on'),
  );
  const configFile = join(dir, 'gateway.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      listen: { host: '127.0.0.1', port: 0 },
      issuer,
      audience: AUDIENCE,
      upstream: upstream.url,
      credentials: { client_id: own.client_id, client_secret: own.client_secret },
      schemes: selected.has('dpop') ? ['bearer', 'dpop'] : ['bearer'],
      routes: [
        { method: 'POST', path: '/protected', scopes: [SCOPE] },
        { method: 'POST', path: '/public', public: true },
      ],
    }),
  );
  const gateway = await startWithLogFile(
    [tessera, 'gateway', '--config', configFile],
    join(dir, 'gateway.log'),
  );

  console.log(`minting ${tokenCount} distinct tokens…`);
  const tokens = await mintTokens(issuer, String(caller.client_id), String(caller.client_secret), tokenCount);
  const rawVerifyMs = await rawVerificationCost(issuer, tokens[0] as string);

  const request = (path: string, token?: string): PhaseRequest => ({
    path,
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    body: '',
  });
  const phase = (origin: string, requests: PhaseRequest[], pid: number) =>
    runPhase({
      origin,
      requests,
      acceptBody: (body) => body === UPSTREAM_BODY,
      connections,
      warmupSeconds,
      durationSeconds,
      serverPid: pid,
    });

  // Check once, outside the measurement, that each path really authenticates as it should.
  const probe = async (path: string, token?: string) =>
    (
      await fetch(`${gateway.url}${path}`, {
        method: 'POST',
        headers: token ? { authorization: `Bearer ${token}` } : {},
      })
    ).status;
  const statuses = [await probe('/protected'), await probe('/protected', tokens[0]), await probe('/public')];
  if (statuses.join() !== '401,200,200') throw new Error(`unexpected pre-flight statuses ${statuses.join()}`);

  // DPoP: one bound token (the gateway caches it once verified), a fresh proof for every request.
  const dpopUrl = `${gateway.url}/protected`;
  const dpopKey = newDpopKey();
  const dpopToken = selected.has('dpop')
    ? await mintDpopToken(issuer, String(caller.client_id), String(caller.client_secret), dpopKey)
    : '';
  if (selected.has('dpop')) {
    const nonce = await gatewayNonce(dpopUrl, dpopToken, dpopKey);
    const [proof = ''] = signProofs(dpopKey, { url: dpopUrl, token: dpopToken, nonce, count: 1 });
    const status = (
      await fetch(dpopUrl, { method: 'POST', headers: { authorization: `DPoP ${dpopToken}`, dpop: proof } })
    ).status;
    if (status !== 200) throw new Error(`unexpected pre-flight DPoP status ${status}`);
  }
  const proofCosts = selected.has('dpop') ? proofVerificationCosts() : undefined;
  if (proofCosts !== undefined) {
    console.log(
      `in process, µs per call: verifyDpopProof ${proofCosts.verifyDpopProof.toFixed(1)}, raw ES256 verify ${proofCosts.rawVerify.toFixed(1)}, ` +
        `jwkThumbprint ${proofCosts.jwkThumbprint.toFixed(1)}, normalizeHtu ${proofCosts.normalizeHtu.toFixed(1)}, ` +
        `ath SHA-256 ${proofCosts.athHash.toFixed(1)}, nonce check ${proofCosts.nonceCheck.toFixed(1)}`,
    );
  }
  const dpopRequests = (nonce: string, seconds: number, rate: number): PhaseRequest[] =>
    signProofs(dpopKey, {
      url: dpopUrl,
      token: dpopToken,
      nonce,
      count: Math.ceil(rate * seconds) + connections,
    }).map((proof) => ({
      path: '/protected',
      headers: { authorization: `DPoP ${dpopToken}`, dpop: proof },
      body: '',
    }));
  // Why rounds, and the best of them: on a shared machine, noise only ever slows a phase down.
  const roundResults: RoundResults[] = [];
  /** The phase's best valid round so far (else its first one). */
  const bestRound = (name: PhaseName): PhaseResult | undefined =>
    roundResults
      .map((round) => round[name])
      .reduce<PhaseResult | undefined>((best, result) => {
        if (result === undefined || best === undefined) return best ?? result;
        return result.valid && (!best.valid || result.requestsPerSecond > best.requestsPerSecond)
          ? result
          : best;
      }, undefined);

  /**
   * Why its own runner: a proof is good once, and runPhase restarts its request list for the
   * measured run, so the warm-up and the measured run each get a pool of their own, both signed
   * before the warm-up. Why signed before and not as sent: signing (~30 µs) would load core 0,
   * the load generator's, which already sets the pace.
   */
  const runDpop = async (): Promise<PhaseResult> => {
    const nonce = await gatewayNonce(dpopUrl, dpopToken, dpopKey);
    const rate = dpopRate ?? 1.5 * (bestRound('repeated')?.requestsPerSecond ?? 10_000);
    const started = performance.now();
    const warm = dpopRequests(nonce, warmupSeconds, rate);
    const measured = dpopRequests(nonce, durationSeconds, rate);
    console.log(
      `  (signed ${warm.length + measured.length} proofs for ${rate.toFixed(0)} req/s in ${((performance.now() - started) / 1000).toFixed(1)} s)`,
    );
    const common = {
      origin: gateway.url,
      acceptBody: (body: string) => body === UPSTREAM_BODY,
      connections,
      warmupSeconds: 0,
      serverPid: gateway.pid,
    };
    if (warmupSeconds > 0) await runPhase({ ...common, requests: warm, durationSeconds: warmupSeconds });
    const result = await runPhase({ ...common, requests: measured, durationSeconds });
    if (!result.valid && result.completed >= measured.length - connections)
      console.log(`  the pool of ${measured.length} proofs ran out: raise --dpop-rate`);
    return result;
  };

  type Phase = {
    name: PhaseName;
    label: string;
    origin: string;
    requests: PhaseRequest[];
    pid: number;
    /** for a phase runPhase cannot run as it is */
    run?: () => Promise<PhaseResult>;
  };
  const allPhases: Phase[] = [
    {
      name: 'plain',
      label: 'plain proxy',
      origin: plain.url,
      requests: [request('/public')],
      pid: plain.pid,
    },
    {
      name: 'public',
      label: 'gateway, public route',
      origin: gateway.url,
      requests: [request('/public')],
      pid: gateway.pid,
    },
    {
      name: 'repeated',
      label: 'gateway, one repeated JWT',
      origin: gateway.url,
      requests: [request('/protected', tokens[0])],
      pid: gateway.pid,
    },
    {
      // Why more tokens than the cache holds (10 000), cycled: each is gone from the cache when
      // it comes round again, so every request pays a full verification.
      name: 'distinct',
      label: `gateway, ${tokens.length} distinct JWTs cycled`,
      origin: gateway.url,
      requests: tokens.map((token) => request('/protected', token)),
      pid: gateway.pid,
    },
    {
      name: 'dpop',
      label: 'gateway, DPoP JWT + fresh proof',
      origin: gateway.url,
      requests: [],
      pid: gateway.pid,
      run: runDpop,
    },
  ];
  const phases = allPhases.filter(({ name }) => selected.has(name));
  for (let round = 1; round <= rounds; round++) {
    console.log(`round ${round} of ${rounds}`);
    const thisRound: RoundResults = {};
    roundResults.push(thisRound);
    for (const { name, label, origin, requests, pid, run } of phases) {
      const result = run === undefined ? await phase(origin, requests, pid) : await run();
      thisRound[name] = result;
      report(label, result);
      if (!result.valid) {
        console.log(
          `  ${JSON.stringify(result.statusCodes)} ${result.sampleBadBody ?? ''} ${result.sampleError ?? ''}`,
        );
        console.log(
          `  the gateway's last output:\n${gateway.recentOutput().split('\n').slice(-4).join('\n')}`,
        );
      }
    }
  }
  const results: RoundResults = {};
  for (const { name } of phases) results[name] = bestRound(name);
  const best = results as Record<PhaseName, PhaseResult>;
  if (rounds > 1) {
    console.log('\nbest round of each phase');
    for (const { name, label } of phases) report(label, best[name]);
  }
  const has = (...names: PhaseName[]) => names.every((name) => selected.has(name));

  const cpuPerRequestMs = (result: PhaseResult) =>
    result.cpu.server === undefined ? Number.NaN : (result.cpu.server / result.requestsPerSecond) * 1000;
  const ratio = (a: PhaseResult | undefined, b: PhaseResult | undefined) =>
    a === undefined || b === undefined ? Number.NaN : a.requestsPerSecond / b.requestsPerSecond;
  const repeatedCost = 1 - ratio(best.repeated, best.public);
  const publicVsPlain = ratio(best.public, best.plain);
  const distinctBudget = has('public') ? cpuPerRequestMs(best.public) + 1.1 * rawVerifyMs : Number.NaN;
  const verdict = (ok: boolean) => (ok ? 'MET' : 'NOT MET');
  if (has('repeated', 'public') || has('public', 'plain') || has('distinct', 'public'))
    console.log('\ntargets');
  if (has('repeated', 'public')) {
    console.log(
      `  repeated token costs ${(repeatedCost * 100).toFixed(1)}% of public-route throughput (target < 15%): ${verdict(repeatedCost < 0.15)}`,
    );
  }
  if (has('public', 'plain')) {
    console.log(
      `  public route / plain proxy = ${publicVsPlain.toFixed(3)} (target ≥ 0.9): ${verdict(publicVsPlain >= 0.9)}`,
    );
  }
  if (has('distinct', 'public')) {
    console.log(
      `  distinct tokens: ${cpuPerRequestMs(best.distinct).toFixed(3)} ms CPU/request vs budget ${distinctBudget.toFixed(3)} ms ` +
        `(public ${cpuPerRequestMs(best.public).toFixed(3)} + 1.1 × raw verify ${rawVerifyMs.toFixed(3)}): ` +
        verdict(cpuPerRequestMs(best.distinct) <= distinctBudget),
    );
  }
  // Best rounds pair phases measured minutes apart; within a round they ran back to back,
  // so the median of per-round figures is the steadier reading on a noisy machine.
  if (rounds > 1 && has('public')) {
    const perRound = (figure: (round: RoundResults) => number, digits: number) => {
      const values = roundResults.map(figure).filter((value) => !Number.isNaN(value));
      const sorted = [...values].sort((a, b) => a - b);
      const median = sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
      return `${values.map((value) => value.toFixed(digits)).join(', ')}; median ${median.toFixed(digits)}`;
    };
    console.log('  per round (same targets):');
    if (has('repeated')) {
      console.log(`    repeated token cost: ${perRound((r) => 1 - ratio(r.repeated, r.public), 3)}`);
    }
    if (has('plain')) console.log(`    public / plain: ${perRound((r) => ratio(r.public, r.plain), 3)}`);
    if (has('distinct')) {
      const overBudget = (r: RoundResults) =>
        r.distinct === undefined || r.public === undefined
          ? Number.NaN
          : (cpuPerRequestMs(r.distinct) - cpuPerRequestMs(r.public) - 1.1 * rawVerifyMs) * 1000;
      console.log(`    distinct tokens over budget, µs/request: ${perRound(overBudget, 0)}`);
    }
  }
  const us = (result: PhaseResult | undefined) =>
    result === undefined ? Number.NaN : cpuPerRequestMs(result) * 1000;
  const dpopSummary =
    has('dpop') && proofCosts !== undefined
      ? {
          dpopVsBearer: ratio(best.dpop, best.repeated),
          dpopVsPlain: ratio(best.dpop, best.plain),
          bearerVsPlain: ratio(best.repeated, best.plain),
          dpopVsPublic: ratio(best.dpop, best.public),
          bearerVsPublic: ratio(best.repeated, best.public),
          extraCpuUs: us(best.dpop) - us(best.repeated),
          proofCosts,
        }
      : undefined;
  if (dpopSummary !== undefined) {
    const x = (value: number) => `${value.toFixed(3)}×`;
    console.log('\nDPoP (issue 6), best rounds');
    console.log(
      `  req/s: DPoP / repeated Bearer ${x(dpopSummary.dpopVsBearer)}; vs plain proxy: DPoP ${x(dpopSummary.dpopVsPlain)}, ` +
        `Bearer ${x(dpopSummary.bearerVsPlain)}; vs public route: DPoP ${x(dpopSummary.dpopVsPublic)}, Bearer ${x(dpopSummary.bearerVsPublic)}`,
    );
    console.log(
      `  gateway CPU µs/request: plain proxy ${us(best.plain).toFixed(0)}, public ${us(best.public).toFixed(0)}, ` +
        `Bearer ${us(best.repeated).toFixed(0)}, distinct ${us(best.distinct).toFixed(0)}, DPoP ${us(best.dpop).toFixed(0)}; ` +
        `DPoP − Bearer ${dpopSummary.extraCpuUs.toFixed(0)} µs`,
    );
    console.log(
      `  in process: verifyDpopProof ${proofCosts?.verifyDpopProof.toFixed(1)} µs = ${(
        (proofCosts?.verifyDpopProof ?? Number.NaN) / (proofCosts?.rawVerify ?? Number.NaN)
      ).toFixed(
        2,
      )}× a raw ES256 verify (${proofCosts?.rawVerify.toFixed(1)} µs); + nonce check ${proofCosts?.nonceCheck.toFixed(1)} µs`,
    );
  }
  const invalid = Object.entries(results).filter(([, result]) => !result.valid);
  if (invalid.length > 0) {
    console.log(
      `\nINVALID phases (errors or unexpected answers): ${invalid.map(([name]) => name).join(', ')}`,
    );
    for (const [name, result] of invalid) {
      console.log(
        `  ${name}: ${JSON.stringify(result.statusCodes)} ${result.sampleBadBody ?? ''} ${result.sampleError ?? ''}`,
      );
    }
    process.exitCode = 1;
  }
  if (flags.json) {
    console.log(
      JSON.stringify({
        results: Object.fromEntries(
          Object.entries(results).map(([name, r]) => [
            name,
            {
              rps: r.requestsPerSecond,
              p50: r.p50,
              p99: r.p99,
              cpuPerRequestMs: cpuPerRequestMs(r),
              cpu: r.cpu,
              valid: r.valid,
            },
          ]),
        ),
        rawVerifyMs,
        dpop: dpopSummary,
        repeatedCost,
        publicVsPlain,
        distinctBudget,
      }),
    );
  }
}

function report(name: string, result: PhaseResult): void {
  const cpu = result.cpu.server === undefined ? '' : `, proxy CPU ${(result.cpu.server * 100).toFixed(0)}%`;
  const perRequest =
    result.cpu.server === undefined
      ? ''
      : ` (${((result.cpu.server / result.requestsPerSecond) * 1e6).toFixed(0)} µs/req)`;
  console.log(
    `${name.padEnd(40)} ${result.requestsPerSecond.toFixed(0).padStart(7)} req/s  p50 ${result.p50.toFixed(2)} ms  p99 ${result.p99.toFixed(2)} ms` +
      `${cpu}${perRequest}, load generator CPU ${(result.cpu.loadGenerator * 100).toFixed(0)}%${result.valid ? '' : '  INVALID'}`,
  );
}

async function start(args: string[], pin: Pinning | undefined, isReadyLine: (line: string) => boolean) {
  const server = await startServer({
    args,
    cwd: repoRoot,
    pinning: pin,
    isReadyLine,
    timeoutMs: START_TIMEOUT_MS,
  });
  children.push(server);
  return server;
}

/**
 * Starts `node ARGS…` on the proxy's core with its standard output going to `logFile`.
 * Why not a pipe to this process: the load generator would then also be the gateway's log
 * reader, and the gateway's throughput would measure how fast it reads.
 */
async function startWithLogFile(args: string[], logFile: string) {
  const out = openSync(logFile, 'w');
  const [command, commandArgs] =
    pinning === undefined
      ? [process.execPath, args]
      : ['taskset', ['-c', String(pinning.serverCore), process.execPath, ...args]];
  const child = spawn(command, commandArgs, { cwd: repoRoot, stdio: ['ignore', out, 'pipe'] });
  closeSync(out);
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };
  children.push({ stop });
  const recentOutput = () =>
    `${readFileSync(logFile, 'utf8').split('\n').slice(-4).join('\n')}${stderr.slice(-1000)}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const url = /^Tessera gateway listening on (\S+)$/m.exec(readFileSync(logFile, 'utf8'))?.[1];
    if (url !== undefined) return { url, pid: child.pid ?? -1, recentOutput };
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`the gateway did not start:\n${recentOutput()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function cli(args: string[]): Promise<Record<string, unknown>> {
  const result = await runNode([tessera, ...args], { cwd: repoRoot, timeoutMs: CLI_TIMEOUT_MS });
  if (result.status !== 0) throw new Error(`tessera ${args.join(' ')}: ${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

/** Mints `count` access tokens, 32 requests in flight at a time. */
async function mintTokens(
  issuer: string,
  clientId: string,
  secret: string,
  count: number,
): Promise<string[]> {
  const authorization = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
  const tokens: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      });
      if (response.status !== 200)
        throw new Error(`token request: ${response.status} ${await response.text()}`);
      tokens.push(((await response.json()) as { access_token: string }).access_token);
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  return tokens;
}

/** Milliseconds of one synchronous `node:crypto` ES256 verification of a real token: the floor. */
async function rawVerificationCost(issuer: string, token: string): Promise<number> {
  const metadata = (await (await fetch(`${issuer}/.well-known/oauth-authorization-server`)).json()) as {
    jwks_uri: string;
  };
  const jwks = (await (await fetch(metadata.jwks_uri)).json()) as { keys: Record<string, unknown>[] };
  const [h = '', p = '', s = ''] = token.split('.');
  const { kid } = JSON.parse(Buffer.from(h, 'base64url').toString()) as { kid: string };
  const jwk = jwks.keys.find((key) => key.kid === kid);
  if (jwk === undefined) throw new Error('the token’s kid is not in the JWKS');
  const key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
  const data = Buffer.from(`${h}.${p}`);
  const signature = Buffer.from(s, 'base64url');
  const check = () => verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature);
  for (let i = 0; i < 500; i++) check();
  const rounds = 4000;
  const started = performance.now();
  for (let i = 0; i < rounds; i++) if (!check()) throw new Error('the token does not verify');
  return (performance.now() - started) / rounds;
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
