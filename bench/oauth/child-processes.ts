/**
 * Child processes of the benchmark: servers that must die with it (on success, error, SIGINT or
 * SIGTERM), short commands with a time limit, and optional CPU pinning with `taskset`.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

const live = new Set<ChildProcess>();
let cleanupInstalled = false;

function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  // Why: 'exit' handlers must be synchronous, so this is the last-resort SIGKILL.
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping the servers`);
      for (const child of live) child.kill('SIGKILL');
      process.exit(130);
    });
  }
}

/** CPU pinning: the load generator on one core, the server under test on another. */
export interface Pinning {
  readonly serverCore: number;
  readonly loadCore: number;
}

/**
 * Pins this process (all its threads) to `loadCore` and returns the pinning to use for servers, or
 * `undefined` when there are fewer than two CPUs or no `taskset`.
 */
export function pinLoadGenerator(): Pinning | undefined {
  if (availableParallelism() < 2) return undefined;
  const pinning = { loadCore: 0, serverCore: 1 };
  const result = spawnSync('taskset', ['-a', '-cp', String(pinning.loadCore), String(process.pid)], {
    stdio: 'ignore',
  });
  return result.status === 0 ? pinning : undefined;
}

function commandLine(args: readonly string[], pinning: Pinning | undefined): [string, string[]] {
  if (pinning === undefined) return [process.execPath, [...args]];
  return ['taskset', ['-c', String(pinning.serverCore), process.execPath, ...args]];
}

export interface StartedServer {
  /** the first URL the server printed */
  readonly url: string;
  readonly pid: number;
  /** last lines of its output, for error reports */
  readonly recentOutput: () => string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited */
  readonly stop: (graceMs?: number) => Promise<void>;
}

export interface StartServerOptions {
  /** Node arguments: script and its flags */
  readonly args: readonly string[];
  readonly cwd: string;
  readonly pinning: Pinning | undefined;
  /** true for a line that says the server accepts connections; its first URL is taken */
  readonly isReadyLine: (line: string) => boolean;
  readonly timeoutMs: number;
  readonly env?: NodeJS.ProcessEnv;
}

const URL_PATTERN = /https?:\/\/[^\s"'<>,)]+/;

/** Starts a server as a child process and resolves once it prints its URL. */
export function startServer(options: StartServerOptions): Promise<StartedServer> {
  installCleanup();
  const [command, args] = commandLine(options.args, options.pinning);
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      live.delete(child);
      resolve();
    });
  });

  const recent: string[] = [];
  const remember = (line: string): void => {
    recent.push(line);
    if (recent.length > 40) recent.shift();
  };
  const recentOutput = (): string => recent.join('\n');

  const stop = async (graceMs = 3000): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };

  return new Promise<StartedServer>((resolve, reject) => {
    let ready = false;
    const timer = setTimeout(() => {
      void stop(500);
      reject(new Error(`no URL line within ${options.timeoutMs} ms; last output:\n${recentOutput()}`));
    }, options.timeoutMs);

    // Why: the output is read to the end even after start-up, or a chatty server blocks on a full pipe.
    for (const stream of [child.stdout, child.stderr]) {
      let pending = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        pending += chunk;
        let newline = pending.indexOf('\n');
        while (newline !== -1) {
          const line = pending.slice(0, newline);
          pending = pending.slice(newline + 1);
          remember(line);
          if (!ready && options.isReadyLine(line)) {
            const match = URL_PATTERN.exec(line);
            if (match !== null) {
              ready = true;
              clearTimeout(timer);
              resolve({ url: match[0], pid: child.pid ?? -1, recentOutput, stop });
            }
          }
          newline = pending.indexOf('\n');
        }
        if (pending.length > 64 * 1024) pending = pending.slice(-1024);
      });
    }

    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (!ready) {
        reject(new Error(`exited (${signal ?? code}) before printing its URL; output:\n${recentOutput()}`));
      }
    });
  });
}

export interface CommandResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node ARGS…` to completion, killing it after `timeoutMs`. */
export function runNode(
  args: readonly string[],
  options: { cwd: string; timeoutMs: number; pinning?: Pinning | undefined },
): Promise<CommandResult> {
  installCleanup();
  const [command, commandArgs] = commandLine(args, options.pinning);
  const child = spawn(command, commandArgs, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  return new Promise<CommandResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      stderr += `\n(killed after ${options.timeoutMs} ms)`;
    }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      live.delete(child);
      reject(error);
    });
    child.once('close', (status) => {
      clearTimeout(timer);
      live.delete(child);
      resolve({ status, stdout, stderr });
    });
  });
}
