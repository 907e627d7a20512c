/**
 * Load phases against the gateway, closed-loop on keep-alive connections over loopback:
 *
 * - `timedPhase`: autocannon for a fixed duration (after a discarded warm-up), each request
 *   built when it is about to be sent by `next()`, so a SigV4 signature is made fresh for it;
 * - `onePass`: each of a list of requests sent exactly once, `connections` at a time (`node:http`),
 *   for first sights of API keys, which the gateway then caches.
 *
 * Latencies are kept individually (sub-millisecond), CPU time is read from `/proc`.
 */
import { readFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import autocannon from 'autocannon';

export interface LoadRequest {
  readonly method: 'GET';
  readonly path: string;
  readonly headers: Record<string, string>;
}

export interface PhaseResult {
  readonly requestsPerSecond: number;
  readonly completed: number;
  /** Milliseconds. */
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly statusCodes: Readonly<Record<string, number>>;
  readonly errors: number;
  readonly sample: string | undefined;
  /** CPU seconds per second: this process, the gateway (the process under load), the authorization server. */
  readonly cpu: {
    readonly loadGenerator: number;
    readonly gateway: number | undefined;
    readonly authServer: number | undefined;
  };
  /** Gateway CPU microseconds per request. */
  readonly gatewayUsPerRequest: number | undefined;
  readonly valid: boolean;
  /** Every measured latency, ascending, in milliseconds (to pool rounds). */
  readonly latencies: Float64Array;
}

/** What the upstream answers to anything. */
export const EXPECTED_BODY = '{"ok":true}';
const TIMEOUT_SECONDS = 5;

export async function timedPhase(options: {
  readonly origin: string;
  readonly next: () => LoadRequest;
  readonly connections: number;
  readonly warmupSeconds: number;
  readonly durationSeconds: number;
  readonly gatewayPid: number;
  readonly authServerPid: number;
}): Promise<PhaseResult> {
  if (options.warmupSeconds > 0) await runAutocannon(options, options.warmupSeconds);
  return runAutocannon(options, options.durationSeconds);
}

async function runAutocannon(
  options: Parameters<typeof timedPhase>[0],
  durationSeconds: number,
): Promise<PhaseResult> {
  const latencies = new Latencies();
  let sample: string | undefined;
  const instance = autocannon({
    url: options.origin,
    connections: options.connections,
    pipelining: 1,
    duration: durationSeconds,
    timeout: TIMEOUT_SECONDS,
    requests: [
      {
        setupRequest: (defaults) => {
          const request = options.next();
          return { ...defaults, method: request.method, path: request.path, headers: request.headers };
        },
      },
    ],
    verifyBody: (body: string) => body === EXPECTED_BODY,
  });
  instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => {
    latencies.record(ms);
  });
  instance.on('reqMismatch', (body: string) => {
    sample ??= body.slice(0, 300);
  });
  instance.on('reqError', (error: Error) => {
    sample ??= String(error?.message ?? error);
  });
  const meter = startMeter(options.gatewayPid, options.authServerPid);
  const result = await instance;
  const { seconds, cpu } = meter();
  const statusCodes: Record<string, number> = {};
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stats.count;
  const completed = Math.max(0, (result['2xx'] ?? 0) - result.mismatches);
  const sorted = latencies.sorted();
  const requestsPerSecond = completed / seconds;
  return {
    requestsPerSecond,
    completed,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    statusCodes,
    errors: result.errors + result.timeouts,
    sample,
    cpu,
    gatewayUsPerRequest: cpu.gateway === undefined ? undefined : (cpu.gateway / requestsPerSecond) * 1e6,
    valid:
      completed > 0 &&
      result.non2xx === 0 &&
      result.errors === 0 &&
      result.timeouts === 0 &&
      result.mismatches === 0,
    latencies: sorted,
  };
}

/** Sends each request once, `connections` in flight at a time, on as many keep-alive connections. */
export async function onePass(options: {
  readonly origin: string;
  readonly requests: readonly LoadRequest[];
  readonly connections: number;
  readonly gatewayPid: number;
  readonly authServerPid: number;
  /** Whether an answer is the one expected. */
  readonly accept: (status: number, body: string) => boolean;
}): Promise<PhaseResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const send = (request: LoadRequest) => get(agent, options.origin, request);
  const latencies = new Latencies();
  const statusCodes: Record<string, number> = {};
  let errors = 0;
  let completed = 0;
  let sample: string | undefined;
  let next = 0;
  // Open the connections first, so that connecting is not counted as a lookup's latency.
  await Promise.all(
    Array.from({ length: options.connections }, () => send({ method: 'GET', path: '/public', headers: {} })),
  );
  const meter = startMeter(options.gatewayPid, options.authServerPid);
  const worker = async () => {
    while (next < options.requests.length) {
      const request = options.requests[next++] as LoadRequest;
      const started = performance.now();
      try {
        const { status, body } = await send(request);
        latencies.record(performance.now() - started);
        statusCodes[status] = (statusCodes[status] ?? 0) + 1;
        if (options.accept(status, body)) completed++;
        else sample ??= `${status} ${body.slice(0, 300)}`;
      } catch (error) {
        errors++;
        sample ??= String((error as Error)?.message ?? error);
      }
    }
  };
  await Promise.all(Array.from({ length: options.connections }, worker));
  const { seconds, cpu } = meter();
  agent.destroy();
  const sorted = latencies.sorted();
  const requestsPerSecond = completed / seconds;
  return {
    requestsPerSecond,
    completed,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    statusCodes,
    errors,
    sample,
    cpu,
    gatewayUsPerRequest: cpu.gateway === undefined ? undefined : (cpu.gateway / requestsPerSecond) * 1e6,
    valid: errors === 0 && completed === options.requests.length,
    latencies: sorted,
  };
}

function get(agent: Agent, origin: string, request: LoadRequest): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const sent = httpRequest(
      new URL(request.path, origin),
      { method: request.method, headers: request.headers, agent, timeout: TIMEOUT_SECONDS * 1000 },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        response.on('error', reject);
      },
    );
    sent.on('timeout', () => sent.destroy(new Error('timed out')));
    sent.on('error', reject);
    sent.end();
  });
}

function startMeter(gatewayPid: number, authServerPid: number) {
  const started = performance.now();
  const ownBefore = process.cpuUsage();
  const gatewayBefore = processCpuSeconds(gatewayPid);
  const authServerBefore = processCpuSeconds(authServerPid);
  const rate = (before: number | undefined, after: number | undefined, seconds: number) =>
    before === undefined || after === undefined ? undefined : (after - before) / seconds;
  return () => {
    const seconds = (performance.now() - started) / 1000;
    const own = process.cpuUsage(ownBefore);
    return {
      seconds,
      cpu: {
        loadGenerator: (own.user + own.system) / 1e6 / seconds,
        gateway: rate(gatewayBefore, processCpuSeconds(gatewayPid), seconds),
        authServer: rate(authServerBefore, processCpuSeconds(authServerPid), seconds),
      },
    };
  };
}

/** user + system CPU seconds of a process (all its threads), from `/proc/PID/stat`. */
function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks / 100 : undefined;
  } catch {
    return undefined;
  }
}

class Latencies {
  #values = new Float64Array(1 << 16);
  #length = 0;

  record(ms: number): void {
    if (this.#length === this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.#length++] = ms;
  }

  sorted(): Float64Array {
    return this.#values.slice(0, this.#length).sort();
  }
}

/** Nearest-rank quantile of an ascending array. */
function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}
