/**
 * One load phase: a warm-up run whose figures are thrown away, then a measured run, both closed-loop
 * (each of `connections` keep-alive connections sends its next request when the previous answers)
 * and bounded in time by autocannon's `duration`.
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

export interface PhaseRequest {
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface PhaseOptions {
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  /** cycled through in order, across all connections */
  readonly requests: readonly PhaseRequest[];
  /** true when a 2xx body is the answer the phase expects (a token, `"active":true`) */
  readonly acceptBody: (body: string) => boolean;
  readonly connections: number;
  readonly warmupSeconds: number;
  readonly durationSeconds: number;
  /** the server's process id, to report its CPU use (Linux only) */
  readonly serverPid?: number;
}

export interface PhaseResult {
  /** measured responses that were 2xx with an accepted body, per second of measured time */
  readonly requestsPerSecond: number;
  readonly completed: number;
  readonly elapsedSeconds: number;
  /** milliseconds, from every measured response (sub-millisecond resolution) */
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  /** responses whose body `acceptBody` refused (non-2xx ones included) */
  readonly badBodies: number;
  readonly statusCodes: Readonly<Record<string, number>>;
  /** the first refused body and the first connection error, for the report */
  readonly sampleBadBody: string | undefined;
  readonly sampleError: string | undefined;
  /** autocannon's own figures, for cross-checking (its latency histogram has 1 ms resolution) */
  readonly autocannon: { readonly requestsAverage: number; readonly p50: number; readonly p99: number };
  /**
   * CPU time used per second of measured time (1 = one core busy), for the load generator (this
   * process) and the server; near 1 for the load generator means it, not the server, set the pace.
   */
  readonly cpu: {
    readonly loadGenerator: number;
    readonly server: number | undefined;
    /** every busy CPU of the machine, kernel work (loopback TCP) and other processes included */
    readonly machine: number | undefined;
  };
  /** true when nothing failed: only then is the phase a measurement */
  readonly valid: boolean;
}

const REQUEST_TIMEOUT_SECONDS = 5;

/** Runs the warm-up and the measured run of one phase against one server. */
export async function runPhase(options: PhaseOptions): Promise<PhaseResult> {
  if (options.warmupSeconds > 0) await runOnce(options, options.warmupSeconds);
  return runOnce(options, options.durationSeconds);
}

async function runOnce(options: PhaseOptions, durationSeconds: number): Promise<PhaseResult> {
  const latencies = new LatencyRecorder();
  let sampleBadBody: string | undefined;
  let sampleError: string | undefined;

  const instance = autocannon({
    url: options.origin,
    connections: options.connections,
    pipelining: 1,
    duration: durationSeconds,
    timeout: REQUEST_TIMEOUT_SECONDS,
    requests: [{ method: 'POST', setupRequest: nextRequest(options.requests) }],
    verifyBody: options.acceptBody,
  });
  instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTimeMs: number) => {
    latencies.record(responseTimeMs);
  });
  instance.on('reqMismatch', (body: string) => {
    sampleBadBody ??= body.slice(0, 300);
  });
  instance.on('reqError', (error: Error) => {
    sampleError ??= String(error?.message ?? error);
  });

  const started = performance.now();
  const ownCpuBefore = process.cpuUsage();
  const serverCpuBefore = processCpuSeconds(options.serverPid);
  const machineCpuBefore = machineBusySeconds();
  const result = await instance;
  const elapsedSeconds = (performance.now() - started) / 1000;
  const ownCpu = process.cpuUsage(ownCpuBefore);
  const serverCpuAfter = processCpuSeconds(options.serverPid);
  const machineCpuAfter = machineBusySeconds();
  const cpu = {
    loadGenerator: (ownCpu.user + ownCpu.system) / 1e6 / elapsedSeconds,
    server:
      serverCpuBefore === undefined || serverCpuAfter === undefined
        ? undefined
        : (serverCpuAfter - serverCpuBefore) / elapsedSeconds,
    machine:
      machineCpuBefore === undefined || machineCpuAfter === undefined
        ? undefined
        : (machineCpuAfter - machineCpuBefore) / elapsedSeconds,
  };

  const statusCodes: Record<string, number> = {};
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stats.count;
  const twoxx = result['2xx'] ?? 0;
  const completed = Math.max(0, twoxx - result.mismatches);
  const sorted = latencies.sorted();

  return {
    requestsPerSecond: completed / elapsedSeconds,
    completed,
    elapsedSeconds,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    max: sorted.length > 0 ? (sorted[sorted.length - 1] ?? 0) : 0,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    badBodies: result.mismatches,
    statusCodes,
    sampleBadBody,
    sampleError,
    cpu,
    autocannon: {
      requestsAverage: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
    },
    valid:
      completed > 0 &&
      result.non2xx === 0 &&
      result.errors === 0 &&
      result.timeouts === 0 &&
      result.mismatches === 0,
  };
}

/**
 * Hands out the phase's requests round-robin across connections. Why not autocannon's `requests`
 * array: every connection pre-builds the whole array when it is created, which for a few hundred
 * tokens blocks the event loop for ~250 ms while the first responses wait, inflating the max.
 */
function nextRequest(requests: readonly PhaseRequest[]) {
  if (requests.length === 0) throw new Error('a phase needs at least one request');
  let next = 0;
  return <T extends object>(defaults: T) => {
    const request = requests[next] as PhaseRequest;
    next = (next + 1) % requests.length;
    return { ...defaults, path: request.path, headers: { ...request.headers }, body: request.body };
  };
}

/** user + system CPU seconds of a process, from `/proc/PID/stat`; `undefined` where there is none. */
function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined || pid <= 0) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Why: field 2 (comm) may contain spaces, so count from the closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    // Why: the kernel reports clock ticks; USER_HZ is 100 on every Linux Node supports.
    return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / 100 : undefined;
  } catch {
    return undefined;
  }
}

/** busy CPU seconds of the whole machine (all but idle and iowait), from `/proc/stat` */
function machineBusySeconds(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const [, ...ticks] = line.trim().split(/\s+/).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already inside user)
    const busy = [0, 1, 2, 5, 6, 7].reduce((sum, i) => sum + (ticks[i] ?? 0), 0);
    return Number.isFinite(busy) ? busy / 100 : undefined;
  } catch {
    return undefined;
  }
}

/** Keeps every response time; a 10 s phase at 50k req/s is 4 MB of doubles. */
class LatencyRecorder {
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
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}
