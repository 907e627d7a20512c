/**
 * A closed-loop load phase: each virtual user runs `iterate` again as soon as the last one
 * finished, for a warm-up (discarded) and then a measured window. An iteration is one
 * operation however many requests it takes (a code exchange is two), and its latency is
 * the whole of it. Around the measured window the CPU time of the server, of the database
 * processes serving it (PostgreSQL backends), of this process and of the machine is read,
 * so that the report can give server CPU per operation and say how busy the machine was.
 */
import { machineBusySeconds, mainThreadSeconds, processCpuSeconds } from './processes.ts';

export interface PhaseResult {
  readonly operations: number;
  readonly seconds: number;
  readonly perSecond: number;
  /** Milliseconds, whole operation. */
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** Failed iterations, warm-up included: any makes the phase invalid. */
  readonly errors: number;
  readonly firstError: string | undefined;
  /** Cores busy on average over the window (1 = one core all the time). */
  readonly cpu: {
    readonly server: number | undefined;
    /** Share of the window the server's event loop (main thread) ran. */
    readonly serverLoop: number | undefined;
    /** Share of the window the server's event loop was ready to run but its core was taken. */
    readonly serverQueued: number | undefined;
    readonly database: number | undefined;
    readonly loadGenerator: number;
    /** The machine minus all of the above: the kernel's own work and other processes. */
    readonly other: number | undefined;
  };
  /** CPU microseconds per operation. */
  readonly serverUs: number | undefined;
  readonly databaseUs: number | undefined;
}

export interface Watched {
  /** The process under load. */
  readonly serverPid: number;
  /** Other processes doing its work (PostgreSQL backends), looked up at each end of the window. */
  readonly helperPids?: () => Promise<readonly number[]>;
}

export async function runPhase<U>(options: {
  readonly users: readonly U[];
  readonly iterate: (user: U) => Promise<void>;
  /** After a failed iteration, puts the user back in a state to go on (e.g. a fresh grant). */
  readonly recover?: (user: U) => Promise<void>;
  readonly warmupSeconds: number;
  readonly durationSeconds: number;
  readonly watched: Watched;
}): Promise<PhaseResult> {
  const latencies = new Latencies();
  let measuring = false;
  let stopping = false;
  let operations = 0;
  let errors = 0;
  let firstError: string | undefined;

  const loop = async (user: U) => {
    while (!stopping) {
      const started = performance.now();
      try {
        await options.iterate(user);
        if (measuring) {
          operations++;
          latencies.record(performance.now() - started);
        }
      } catch (error) {
        errors++;
        firstError ??= error instanceof Error ? error.message : String(error);
        if (options.recover !== undefined) {
          await options.recover(user).catch(() => new Promise((resolve) => setTimeout(resolve, 100)));
        }
      }
    }
  };
  const loops = Promise.all(options.users.map(loop));
  await sleep(options.warmupSeconds * 1000);
  const before = await sample(options.watched);
  measuring = true;
  await sleep(options.durationSeconds * 1000);
  measuring = false;
  const after = await sample(options.watched);
  stopping = true;
  await loops;

  const seconds = (after.at - before.at) / 1000;
  const rate = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? undefined : (b - a) / seconds;
  const server = rate(before.server, after.server);
  const serverLoop = rate(before.serverMain?.running, after.serverMain?.running);
  const serverQueued = rate(before.serverMain?.queued, after.serverMain?.queued);
  const database = helperDelta(before.helpers, after.helpers);
  const databaseRate = database === undefined ? undefined : database / seconds;
  const own = after.own;
  const loadGenerator = (own.user - before.own.user + own.system - before.own.system) / 1e6 / seconds;
  const machine = rate(before.machine, after.machine);
  const other =
    machine === undefined || server === undefined
      ? undefined
      : Math.max(0, machine - server - (databaseRate ?? 0) - loadGenerator);
  const sorted = latencies.sorted();
  const perOperation = (cores: number | undefined) =>
    cores === undefined || operations === 0 ? undefined : (cores * seconds * 1e6) / operations;
  return {
    operations,
    seconds,
    perSecond: operations / seconds,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    errors,
    firstError,
    cpu: { server, serverLoop, serverQueued, database: databaseRate, loadGenerator, other },
    serverUs: perOperation(server),
    databaseUs: perOperation(databaseRate),
  };
}

interface Sample {
  readonly at: number;
  readonly server: number | undefined;
  readonly serverMain: { running: number; queued: number } | undefined;
  readonly helpers: ReadonlyMap<number, number> | undefined;
  readonly own: NodeJS.CpuUsage;
  readonly machine: number | undefined;
}

async function sample(watched: Watched): Promise<Sample> {
  let helpers: Map<number, number> | undefined;
  if (watched.helperPids !== undefined) {
    helpers = new Map();
    for (const pid of await watched.helperPids()) {
      const cpu = processCpuSeconds(pid);
      if (cpu !== undefined) helpers.set(pid, cpu);
    }
  }
  return {
    at: performance.now(),
    server: processCpuSeconds(watched.serverPid),
    serverMain: mainThreadSeconds(watched.serverPid),
    helpers,
    own: process.cpuUsage(),
    machine: machineBusySeconds(),
  };
}

/**
 * CPU seconds the helper processes spent between the samples. One that appeared in between
 * (a new pool connection) counts from zero; one that ended in between is lost.
 */
function helperDelta(
  before: ReadonlyMap<number, number> | undefined,
  after: ReadonlyMap<number, number> | undefined,
): number | undefined {
  if (before === undefined || after === undefined) return undefined;
  let total = 0;
  for (const [pid, cpu] of after) total += cpu - (before.get(pid) ?? 0);
  return total;
}

class Latencies {
  #values = new Float64Array(1 << 15);
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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
