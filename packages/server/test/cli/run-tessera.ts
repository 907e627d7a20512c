/**
 * Runs the real `tessera` command (the built bin, as a user runs it) in a child process,
 * and checks the output rules of the contract.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const TESSERA_BIN = join(REPO_ROOT, 'packages/server/bin/tessera.js');

/** A command must finish within this long; only a hang comes near it. */
const COMMAND_TIMEOUT_MS = 60_000;

export interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly cwd: string;
  /** Added to the clean environment; `undefined` removes a variable. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Written to standard input, which is then closed. */
  readonly input?: string;
}

/**
 * The environment of the test process without any `TESSERA_*` setting a developer may have
 * exported (and without the test runner's own marker), plus `extra`.
 */
export function cleanEnv(extra: Readonly<Record<string, string | undefined>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name.startsWith('TESSERA_') || name === 'NODE_TEST_CONTEXT') continue;
    env[name] = value;
  }
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

/** Runs `command args…` to its end; never rejects for a non-zero exit. */
export function runCommand(command: string, args: readonly string[], options: RunOptions): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: cleanEnv(options.env),
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: COMMAND_TIMEOUT_MS,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    // A command that reads no input may exit before it is written: the pipe then breaks
    // (EPIPE), which says nothing about the command; its exit status and output do.
    child.stdin.once('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/** Runs `tessera args…` with the bin of this repository. */
export function runTessera(args: readonly string[], options: RunOptions): Promise<Run> {
  return runCommand(process.execPath, [TESSERA_BIN, ...args], options);
}

/**
 * Asserts the command succeeded with `--json` output: exactly one JSON object on stdout and
 * nothing else there. Returns the object.
 */
export function jsonResult(run: Run): Record<string, unknown> {
  assert.equal(run.code, 0, `expected success, got ${run.code}; stderr: ${run.stderr}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(run.stdout);
  } catch {
    assert.fail(`stdout is not exactly one JSON value: ${JSON.stringify(run.stdout)}`);
  }
  assert.ok(
    typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed),
    `stdout is not a JSON object: ${run.stdout}`,
  );
  return parsed as Record<string, unknown>;
}

/**
 * Asserts the contract's failure shape: a non-zero exit, nothing on stdout, and exactly one
 * line on stderr, starting `tessera:`. Returns that line.
 */
export function failureLine(run: Run): string {
  assert.notEqual(run.code, 0, `expected a failure; stdout: ${run.stdout}`);
  assert.equal(run.signal, null, `killed by ${run.signal}`);
  assert.equal(run.stdout, '', 'a failing command prints nothing on stdout');
  const lines = run.stderr.split('\n').filter((line) => line !== '');
  assert.equal(lines.length, 1, `expected exactly one line on stderr, got: ${JSON.stringify(run.stderr)}`);
  const [line = ''] = lines;
  assert.match(line, /^tessera: \S/);
  return line;
}

/** Temporary directories, each removed by `cleanup()` (call it from `after`). */
export function tempDirs(prefix = 'tessera-cli-') {
  const made: string[] = [];
  return {
    /** A fresh empty directory (its real path, so it compares equal to what a child sees). */
    make(): string {
      const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
      made.push(dir);
      return dir;
    },
    cleanup(): void {
      for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The PostgreSQL server the tests may use, or a reason to skip (never in CI). */
export function postgresAdminUrl(): { url: string } | { skip: string } {
  const url = process.env.TESSERA_TEST_POSTGRES_URL;
  if (url !== undefined && url !== '') return { url };
  if (process.env.CI) throw new Error('CI must set TESSERA_TEST_POSTGRES_URL');
  return { skip: 'set TESSERA_TEST_POSTGRES_URL to run on PostgreSQL' };
}
