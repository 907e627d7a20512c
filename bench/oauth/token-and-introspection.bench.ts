/**
 * Benchmark (not a test) of issue 2: Tessera against panva's `oidc-provider`, configured alike
 * (client credentials, ES256 JWT access tokens for the API `bench-api`, introspection), each loaded
 * on loopback in its own child process, one server at a time.
 *
 * ```sh
 * node --import tsx bench/oauth/token-and-introspection.bench.ts [--duration 10] [--warmup 2]
 *   [--connections 32] [--tokens 500] [--only oidc-provider|tessera] [--no-build] [--no-pin] [--json]
 * ```
 *
 * Prints requests/s, p50 and p99 latency per server and phase, the ratio Tessera/oidc-provider and
 * whether the targets hold (≥ 3× oidc-provider's throughput, p99 < 10 ms at 32 connections).
 * Exits 1 when a server could not be started or a phase saw any error (an invalid measurement).
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pinLoadGenerator, startServer } from './child-processes.ts';
import { type PhaseResult, runPhase } from './load-phase.ts';
import { fetchTokens, isActiveIntrospection, isJwtTokenResponse } from './oauth-calls.ts';
import {
  type ServerUnderTest,
  type StartContext,
  startOidcProvider,
  startTessera,
} from './servers-under-test.ts';

const TARGET_RATIO = 3;
const TARGET_P99_MS = 10;
const CALIBRATION_SECONDS = 5;
/** share of the load generator's ceiling above which a server's figure is flagged as a lower bound */
const CEILING_WARNING_SHARE = 0.7;
/** CPU (in cores) used by neither process above which a phase is flagged as measured on a busy machine */
const BUSY_MACHINE_SHARE = 0.2;

type ServerName = ServerUnderTest['name'];
type PhaseName = 'token' | 'introspection';
const PHASES: readonly PhaseName[] = ['token', 'introspection'];

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '32' },
    tokens: { type: 'string', default: '500' },
    only: { type: 'string' },
    'no-build': { type: 'boolean', default: false },
    'no-pin': { type: 'boolean', default: false },
    'no-calibrate': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});

const durationSeconds = positive('duration', flags.duration, 60);
const warmupSeconds = positive('warmup', flags.warmup, 30, true);
const connections = positive('connections', flags.connections, 1024);
const tokenCount = positive('tokens', flags.tokens, 100_000);
const servers: readonly ServerName[] =
  flags.only === undefined ? ['oidc-provider', 'tessera'] : [parseServerName(flags.only)];
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

// Why: read before pinning, which narrows this process's own view to one core.
const cpuCount = availableParallelism();
const pinning = flags['no-pin'] ? undefined : pinLoadGenerator();
const context: StartContext = { repoRoot, pinning };

console.log('Tessera vs oidc-provider: client credentials + introspection, JWT access tokens (ES256)');
console.log(
  `node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpuCount}, ${gib(totalmem())} GiB`,
);
console.log(
  pinning === undefined
    ? 'CPU pinning: off (load generator and server share the CPUs)'
    : `CPU pinning: server on core ${pinning.serverCore}, load generator on core ${pinning.loadCore} (taskset)`,
);
console.log(
  `${connections} connections, ${warmupSeconds} s warm-up + ${durationSeconds} s measured per phase, ` +
    `${tokenCount} tokens cycled for introspection, 127.0.0.1 only\n`,
);

const results = new Map<ServerName, Map<PhaseName, PhaseResult>>();
const failures = new Map<ServerName, string>();

for (const name of servers) {
  console.log(`== ${name}`);
  let server: ServerUnderTest | undefined;
  try {
    server =
      name === 'tessera'
        ? await startTessera({ ...context, build: !flags['no-build'] })
        : await startOidcProvider(context);
    console.log(
      `   pid ${server.pid}; token ${server.tokenEndpoint.href}; introspection ${server.introspectionEndpoint.href}`,
    );
    for (const note of server.notes) console.log(`   ${note}`);
    const perPhase = new Map<PhaseName, PhaseResult>();
    results.set(name, perPhase);
    for (const phase of PHASES) {
      const result = await runServerPhase(server, phase);
      perPhase.set(phase, result);
      console.log(`   ${phase}: ${describe(result)}`);
      if (!result.valid) {
        console.log(`   ${phase}: INVALID (status codes ${JSON.stringify(result.statusCodes)})`);
        if (result.sampleBadBody !== undefined)
          console.log(`     first refused body: ${result.sampleBadBody}`);
        if (result.sampleError !== undefined) console.log(`     first error: ${result.sampleError}`);
      }
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    failures.set(name, message);
    console.log(`   FAILED: ${message.split('\n').join('\n   ')}`);
  } finally {
    await server?.stop();
  }
  console.log('');
}

const ceiling = flags['no-calibrate'] ? undefined : await calibrate();

printSummary();
if (flags.json) console.log(JSON.stringify(summaryJson()));
const allValid =
  failures.size === 0 && [...results.values()].every((phases) => [...phases.values()].every((r) => r.valid));
process.exit(allValid ? 0 : 1);

/**
 * Loads a server that does no OAuth work (canned introspection-sized answers) like an introspection
 * phase: the requests/s this load generator can drive at all on its core.
 */
async function calibrate(): Promise<PhaseResult | undefined> {
  console.log('== load generator ceiling (canned responses, no OAuth work)');
  const server = await startServer({
    args: ['--import', 'tsx', join(repoRoot, 'bench/oauth/ceiling-server.ts')],
    cwd: repoRoot,
    pinning,
    isReadyLine: (line) => line.includes('listening on'),
    timeoutMs: 30_000,
  }).catch((error: unknown) => {
    console.log(`   FAILED: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  });
  if (server === undefined) return undefined;
  try {
    const token = randomBytes(280).toString('base64url');
    const result = await runPhase({
      connections,
      warmupSeconds: Math.min(warmupSeconds, 1),
      durationSeconds: Math.min(durationSeconds, CALIBRATION_SECONDS),
      origin: new URL(server.url).origin,
      serverPid: server.pid,
      requests: [
        {
          path: '/introspect',
          headers: {
            authorization: `Basic ${randomBytes(48).toString('base64')}`,
            'content-type': 'application/x-www-form-urlencoded',
            accept: 'application/json',
          },
          body: new URLSearchParams({ token }).toString(),
        },
      ],
      acceptBody: isActiveIntrospection,
    });
    console.log(`   ${describe(result)}\n`);
    return result;
  } finally {
    await server.stop();
  }
}

async function runServerPhase(server: ServerUnderTest, phase: PhaseName): Promise<PhaseResult> {
  const common = { connections, warmupSeconds, durationSeconds };
  const headers = {
    authorization: server.authorization,
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (phase === 'token') {
    return runPhase({
      ...common,
      origin: server.tokenEndpoint.origin,
      serverPid: server.pid,
      requests: [{ path: pathOf(server.tokenEndpoint), headers, body: server.tokenRequestBody }],
      acceptBody: isJwtTokenResponse,
    });
  }
  const tokens = await fetchTokens(server.tokenEndpoint, server.authorization, server.tokenRequestBody, {
    count: tokenCount,
    concurrency: 8,
    deadlineMs: 120_000,
  });
  return runPhase({
    ...common,
    origin: server.introspectionEndpoint.origin,
    serverPid: server.pid,
    requests: tokens.map((token) => ({
      path: pathOf(server.introspectionEndpoint),
      headers,
      body: new URLSearchParams({ token }).toString(),
    })),
    acceptBody: isActiveIntrospection,
  });
}

function printSummary(): void {
  const rows: string[][] = [
    [
      'phase',
      'server',
      'req/s',
      'p50 ms',
      'p99 ms',
      'max ms',
      'non-2xx',
      'errors',
      'srv CPU',
      'gen CPU',
      'other',
      'valid',
    ],
  ];
  for (const phase of PHASES) {
    for (const name of servers) {
      const r = results.get(name)?.get(phase);
      if (r === undefined) {
        rows.push([
          phase,
          name,
          '-',
          '-',
          '-',
          '-',
          '-',
          '-',
          '-',
          '-',
          '-',
          failures.has(name) ? 'not run' : '-',
        ]);
        continue;
      }
      rows.push([
        phase,
        name,
        r.requestsPerSecond.toFixed(0),
        r.p50.toFixed(2),
        r.p99.toFixed(2),
        r.max.toFixed(1),
        String(r.non2xx),
        String(r.errors + r.timeouts),
        cpuShare(r.cpu.server),
        cpuShare(r.cpu.loadGenerator),
        cpuShare(otherCpu(r)),
        r.valid ? 'yes' : 'NO',
      ]);
    }
  }
  if (ceiling !== undefined) {
    rows.push([
      'ceiling',
      '(canned)',
      ceiling.requestsPerSecond.toFixed(0),
      ceiling.p50.toFixed(2),
      ceiling.p99.toFixed(2),
      ceiling.max.toFixed(1),
      String(ceiling.non2xx),
      String(ceiling.errors + ceiling.timeouts),
      cpuShare(ceiling.cpu.server),
      cpuShare(ceiling.cpu.loadGenerator),
      cpuShare(otherCpu(ceiling)),
      ceiling.valid ? 'yes' : 'NO',
    ]);
  }
  console.log('== summary');
  printTable(rows);
  for (const [name, phases] of results) {
    for (const [phase, r] of phases) {
      const other = otherCpu(r);
      if (other !== undefined && other >= BUSY_MACHINE_SHARE) {
        console.log(
          `note: during ${name} ${phase}, ${(other * 100).toFixed(0)}% of a core went to other processes or ` +
            'the kernel; the machine was not quiet and this figure is unreliable',
        );
      }
    }
  }
  if (ceiling !== undefined) {
    for (const [name, phases] of results) {
      for (const [phase, r] of phases) {
        const share = r.requestsPerSecond / ceiling.requestsPerSecond;
        if (share >= CEILING_WARNING_SHARE) {
          console.log(
            `note: ${name} ${phase} reached ${(share * 100).toFixed(0)}% of the load generator's ceiling; ` +
              'its throughput is a lower bound',
          );
        }
      }
    }
  }

  if (!servers.includes('tessera')) return;
  console.log('');
  for (const phase of PHASES) {
    const tessera = results.get('tessera')?.get(phase);
    const baseline = results.get('oidc-provider')?.get(phase);
    const label = `${phase.padEnd(13)}`;
    if (tessera === undefined) {
      console.log(
        `${label} Tessera not measured${failures.has('tessera') ? ' (failed to start, see above)' : ''}`,
      );
      continue;
    }
    const p99 = `p99 ${tessera.p99.toFixed(2)} ms ${tessera.p99 < TARGET_P99_MS ? '<' : '>='} ${TARGET_P99_MS} ms: ${verdict(tessera.valid, tessera.p99 < TARGET_P99_MS)}`;
    if (baseline === undefined) {
      console.log(`${label} ratio n/a (oidc-provider not measured); ${p99}`);
      continue;
    }
    const ratio = tessera.requestsPerSecond / baseline.requestsPerSecond;
    const valid = tessera.valid && baseline.valid;
    console.log(
      `${label} Tessera/oidc-provider ${ratio.toFixed(2)}× (target ≥ ${TARGET_RATIO}×): ${verdict(valid, ratio >= TARGET_RATIO)}; ${p99}`,
    );
  }
}

function summaryJson(): unknown {
  return {
    node: process.version,
    cpu: cpus()[0]?.model,
    cpus: cpuCount,
    loadGeneratorCeiling: ceiling ?? null,
    pinning: pinning ?? null,
    connections,
    warmupSeconds,
    durationSeconds,
    tokens: tokenCount,
    failures: Object.fromEntries(failures),
    results: Object.fromEntries(
      [...results].map(([name, phases]) => [
        name,
        Object.fromEntries(
          [...phases].map(([phase, r]) => [
            phase,
            {
              requestsPerSecond: r.requestsPerSecond,
              p50: r.p50,
              p99: r.p99,
              max: r.max,
              non2xx: r.non2xx,
              errors: r.errors,
              timeouts: r.timeouts,
              badBodies: r.badBodies,
              valid: r.valid,
              autocannon: r.autocannon,
            },
          ]),
        ),
      ]),
    ),
  };
}

function describe(r: PhaseResult): string {
  return (
    `${r.requestsPerSecond.toFixed(0)} req/s (${r.completed} in ${r.elapsedSeconds.toFixed(1)} s), ` +
    `p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, max ${r.max.toFixed(1)} ms; ` +
    `non-2xx ${r.non2xx}, errors ${r.errors}, timeouts ${r.timeouts}, refused bodies ${r.badBodies}; ` +
    `CPU: server ${cpuShare(r.cpu.server)}, load generator ${cpuShare(r.cpu.loadGenerator)}, ` +
    `other (kernel, other processes) ${cpuShare(otherCpu(r))} ` +
    `[autocannon: ${r.autocannon.requestsAverage.toFixed(0)} req/s avg, p99 ${r.autocannon.p99} ms]`
  );
}

/** machine CPU not used by the server or the load generator: kernel work and other processes */
function otherCpu(r: PhaseResult): number | undefined {
  if (r.cpu.machine === undefined || r.cpu.server === undefined) return undefined;
  return Math.max(0, r.cpu.machine - r.cpu.server - r.cpu.loadGenerator);
}

function cpuShare(coresBusy: number | undefined): string {
  return coresBusy === undefined ? 'n/a' : `${(coresBusy * 100).toFixed(0)}%`;
}

function verdict(valid: boolean, holds: boolean): string {
  if (!valid) return 'INVALID RUN';
  return holds ? 'PASS' : 'FAIL';
}

function printTable(rows: readonly string[][]): void {
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  for (const row of rows) {
    console.log(
      row
        .map((cell, column) =>
          column < 2 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
        )
        .join('  '),
    );
  }
}

function pathOf(url: URL): string {
  return `${url.pathname}${url.search}`;
}

function parseServerName(value: string): ServerName {
  if (value === 'oidc-provider' || value === 'tessera') return value;
  throw new Error(`--only must be oidc-provider or tessera, not ${value}`);
}

function positive(name: string, value: string | undefined, max: number, zeroAllowed = false): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < (zeroAllowed ? 0 : 1) || n > max) {
    throw new Error(`--${name} must be an integer from ${zeroAllowed ? 0 : 1} to ${max}, not ${value}`);
  }
  return n;
}

function gib(bytes: number): string {
  return (bytes / 2 ** 30).toFixed(1);
}
