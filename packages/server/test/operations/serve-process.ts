/**
 * `tessera serve` as an operator runs it: a child process of the built bin, watched through
 * its output, stopped by signals. Every process started here is killed by `killAll()`.
 */
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { cleanEnv, TESSERA_BIN } from '../cli/run-tessera.js';

/** Generous bound for anything to happen: start-up, shutdown, a readiness change. */
export const WAIT_MS = 20_000;

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ServeProcess {
  readonly child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Settles when the process has exited. */
  readonly exited: Promise<Exit>;
  /** The exit, or a failure if the process is still running after `WAIT_MS`. */
  exit(): Promise<Exit>;
}

export interface StartedServe extends ServeProcess {
  /** The URL from the line the server printed once it accepted connections. */
  readonly url: string;
}

export interface SpawnOptions {
  readonly cwd: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Sent the instant the URL line is seen, from within the output handler. */
  readonly signalOnUrl?: NodeJS.Signals;
}

const running = new Set<ChildProcessWithoutNullStreams>();

/** Starts `tessera serve args…` without waiting for anything. */
export function spawnServe(args: readonly string[], options: SpawnOptions): ServeProcess {
  const child = spawn(process.execPath, [TESSERA_BIN, 'serve', ...args], {
    cwd: options.cwd,
    env: cleanEnv(options.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<Exit>((resolve) => {
    child.once('close', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    exit: () =>
      within(exited, `the server did not exit; stdout: ${stdout}\nstderr: ${stderr}`).catch((error) => {
        child.kill('SIGKILL');
        throw error;
      }),
  };
}

/**
 * Starts `tessera serve args…` and waits for the line with its URL. Lines of JSON are the
 * structured log; the URL is taken from the first other line that holds one.
 */
export async function startServe(args: readonly string[], options: SpawnOptions): Promise<StartedServe> {
  const serve = spawnServe(args, options);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      serve.child.kill('SIGKILL');
      reject(
        new Error(`no URL line within ${WAIT_MS} ms; stdout: ${serve.stdout()}\nstderr: ${serve.stderr()}`),
      );
    }, WAIT_MS);
    const look = () => {
      for (const line of serve.stdout().split('\n')) {
        if (line.trimStart().startsWith('{')) continue;
        const found = /\bhttps?:\/\/[^\s"'<>]+/.exec(line)?.[0];
        if (found !== undefined && serve.stdout().includes(`${line}\n`)) {
          if (options.signalOnUrl !== undefined) serve.child.kill(options.signalOnUrl);
          clearTimeout(timer);
          serve.child.stdout.off('data', look);
          resolve(found.replace(/[.,;)]+$/, ''));
          return;
        }
      }
    };
    serve.child.stdout.on('data', look);
    void serve.exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(
        new Error(`serve exited (${code ?? signal}) before printing its URL; stderr: ${serve.stderr()}`),
      );
    });
  });
  return { ...serve, url };
}

/** Runs `tessera serve args…` expecting it to refuse to start; returns its exit and output. */
export async function serveRefused(args: readonly string[], options: SpawnOptions) {
  const serve = spawnServe(args, options);
  const exit = await serve.exit();
  return { ...exit, stdout: serve.stdout(), stderr: serve.stderr() };
}

/** Kills every server still running (call it from `after`), and waits for them to go. */
export async function killAll(): Promise<void> {
  const children = [...running];
  for (const child of children) child.kill('SIGKILL');
  await Promise.all(
    children.map((child) =>
      child.exitCode !== null || child.signalCode !== null
        ? Promise.resolve()
        : new Promise((resolve) => child.once('close', resolve)),
    ),
  );
}

/** `promise`, or a failure with `message` after `WAIT_MS`. */
export function within<T>(promise: Promise<T>, message: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} (waited ${ms} ms)`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Polls `check` until it returns true, failing after `WAIT_MS`. */
export async function waitUntil(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) assert.fail(`${what}: not within ${WAIT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface HttpResult {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  json(): Record<string, unknown>;
}

/** One HTTP(S) request on a fresh connection; `ca` trusts a test certificate. */
export function send(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; ca?: Buffer } = {},
): Promise<HttpResult> {
  const target = new URL(url);
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return within(
    new Promise<HttpResult>((resolve, reject) => {
      const req = request(
        target,
        {
          method: options.method ?? 'GET',
          headers: options.headers ?? {},
          agent: false,
          ...(options.ca === undefined ? {} : { ca: options.ca }),
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            body += chunk;
          });
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body,
              json: () => JSON.parse(body) as Record<string, unknown>,
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(options.body);
    }),
    `${options.method ?? 'GET'} ${url} got no answer`,
  );
}

export const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** POSTs a form, authenticating with client_secret_basic. */
export function postForm(
  url: string,
  form: Record<string, string>,
  client: { id: string; secret: string },
  ca?: Buffer,
): Promise<HttpResult> {
  return send(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: basic(client.id, client.secret),
    },
    body: new URLSearchParams(form).toString(),
    ...(ca === undefined ? {} : { ca }),
  });
}
