/**
 * Child processes and CPU accounting for the end-user benchmark: servers started with
 * `taskset` on their own core, their output in a file (not a pipe the load generator would
 * have to drain), killed when the benchmark ends however it ends; CPU seconds of any process
 * and of the whole machine read from `/proc`.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

const running = new Set<ChildProcess>();

process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Pins this process and all its threads to `core`; false when `taskset` is missing or refuses. */
export function pinThisProcess(core: number): boolean {
  const result = spawnSync('taskset', ['-a', '-cp', String(core), String(process.pid)], { stdio: 'ignore' });
  return result.status === 0;
}

export interface Server {
  readonly pid: number;
  /** The URL its ready line named. */
  readonly url: string;
  readonly lastOutput: () => string;
  /** SIGTERM, then SIGKILL after 3 s; resolves when it has exited. */
  readonly stop: () => Promise<void>;
}

/** Starts `node ...nodeArgs` (on `core` if given) and waits for a line matching `ready` (group 1: URL). */
export async function startServer(options: {
  readonly nodeArgs: readonly string[];
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly logFile: string;
  readonly core: number | undefined;
  readonly ready: RegExp;
}): Promise<Server> {
  const out = openSync(options.logFile, 'w');
  const command = options.core === undefined ? process.execPath : 'taskset';
  const args =
    options.core === undefined
      ? [...options.nodeArgs]
      : ['-c', String(options.core), process.execPath, ...options.nodeArgs];
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', out, out] });
  closeSync(out);
  running.add(child);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      running.delete(child);
      resolve();
    }),
  );
  const lastOutput = () => {
    try {
      return readFileSync(options.logFile, 'utf8').trim().split('\n').slice(-15).join('\n');
    } catch {
      return '';
    }
  };
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    const url = options.ready.exec(readFileSync(options.logFile, 'utf8'))?.[1];
    if (url !== undefined) return { pid: child.pid ?? -1, url, lastOutput, stop };
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`node ${options.nodeArgs.join(' ')} did not start:\n${lastOutput()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** User + system CPU seconds of a process (all its threads), from `/proc/PID/stat`. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: count from the closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    // USER_HZ is 100 on every Linux Node runs on.
    return Number.isFinite(ticks) ? ticks / 100 : undefined;
  } catch {
    return undefined;
  }
}

/** Busy CPU seconds of the whole machine (everything but idle and iowait), from `/proc/stat`. */
export function machineBusySeconds(): number | undefined {
  try {
    const [, ...ticks] = (readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '').trim().split(/\s+/);
    const busy = [0, 1, 2, 5, 6, 7].reduce((sum, i) => sum + Number(ticks[i] ?? 0), 0);
    return Number.isFinite(busy) ? busy / 100 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Seconds the process's main thread (the event loop) spent running and spent runnable but
 * waiting for a CPU, from `/proc/PID/schedstat`. On a shared machine the second is the time
 * other processes took its core; what is left of the wall time it was blocked or idle.
 */
export function mainThreadSeconds(pid: number): { running: number; queued: number } | undefined {
  try {
    const [running, queued] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ').map(Number);
    return running === undefined || queued === undefined || !Number.isFinite(running + queued)
      ? undefined
      : { running: running / 1e9, queued: queued / 1e9 };
  } catch {
    return undefined;
  }
}
