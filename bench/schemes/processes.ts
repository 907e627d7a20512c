/**
 * The benchmark's child processes: each writes its standard output and error to a file (a
 * pipe to the load generator would make it the servers' log reader too, see
 * bench/gateway/README.md), is optionally pinned to a core with `taskset`, and is killed
 * when the benchmark ends, however it ends.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

const live = new Set<ChildProcess>();
let cleanupInstalled = false;

function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  // 'exit' handlers must be synchronous: this is the last resort.
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: stopping the child processes\n`);
      for (const child of live) child.kill('SIGKILL');
      process.exit(130);
    });
  }
}

/** The load generator's core and the core of the process under load. */
export interface Pinning {
  readonly loadCore: number;
  readonly serverCore: number;
}

/** Pins this process (every thread) to core 0; `undefined` with fewer than 2 CPUs or no `taskset`. */
export function pinThisProcess(): Pinning | undefined {
  if (availableParallelism() < 2) return undefined;
  const pinning = { loadCore: 0, serverCore: 1 };
  const result = spawnSync('taskset', ['-a', '-cp', String(pinning.loadCore), String(process.pid)], {
    stdio: 'ignore',
  });
  return result.status === 0 ? pinning : undefined;
}

export interface Child {
  readonly pid: number;
  /** The first URL the ready line named. */
  readonly url: string;
  /** The last lines of its output, for error reports. */
  readonly recentOutput: () => string;
  /** SIGTERM, SIGKILL after 3 s; resolves once it has exited. */
  readonly stop: () => Promise<void>;
}

/**
 * Starts `node NODE_ARGS…` (on `core` when given) with its output in `logFile`, and
 * resolves once the file has a line matching `ready` (whose first group is the URL).
 */
export async function startChild(options: {
  readonly nodeArgs: readonly string[];
  readonly cwd: string;
  readonly logFile: string;
  readonly ready: RegExp;
  readonly core: number | undefined;
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
}): Promise<Child> {
  installCleanup();
  const out = openSync(options.logFile, 'w');
  const [command, args] =
    options.core === undefined
      ? [process.execPath, [...options.nodeArgs]]
      : ['taskset', ['-c', String(options.core), process.execPath, ...options.nodeArgs]];
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  live.add(child);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      live.delete(child);
      resolve();
    });
  });
  const recentOutput = () => {
    try {
      return readFileSync(options.logFile, 'utf8').split('\n').slice(-12).join('\n');
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
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    const url = options.ready.exec(readFileSync(options.logFile, 'utf8'))?.[1];
    if (url !== undefined) return { pid: child.pid ?? -1, url, recentOutput, stop };
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`${options.nodeArgs.join(' ')} did not start:\n${recentOutput()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
