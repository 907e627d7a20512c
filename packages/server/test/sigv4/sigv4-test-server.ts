/**
 * What the SigV4 interop suites share: a `node:http` server that verifies every request
 * with core's `verifySigV4Request` (region `local`, service `billing`, one credential whose
 * secret the tests know), remembers what it received, and a raw client that resends a
 * received request byte for byte, or with one part changed.
 */
import { execFile } from 'node:child_process';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { deriveSigV4SigningKey, verifySigV4Request } from '@tessera/core';

export const ACCESS_KEY_ID = 'TKIAINTEROP0000000001';
export const SECRET_ACCESS_KEY = 'aW50ZXJvcC1zZWNyZXQtZm9yLXRlc3RzLW9ubHk';
export const REGION = 'local';
export const SERVICE = 'billing';

/** One request as the server received it. */
export interface Received {
  readonly method: string;
  readonly target: string;
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
}

/** The server's answer: 200 with who signed, or the refusal's status and reason. */
export interface Answer {
  readonly status: number;
  readonly accessKeyId?: string;
  readonly canonicalization?: string;
  readonly reason?: string;
}

export interface SigV4TestServer {
  readonly origin: string;
  readonly port: number;
  /** Every request received, in order. */
  readonly received: Received[];
  /** Added to the real clock when verifying, to play a server whose clock is off. */
  clockOffsetMs: number;
  close(): Promise<void>;
}

export async function startSigV4TestServer(): Promise<SigV4TestServer> {
  const seen = new Map<string, number>();
  const received: Received[] = [];
  const state = { clockOffsetMs: 0 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      const entry = { method: req.method ?? '', target: req.url ?? '', rawHeaders: req.rawHeaders, body };
      received.push(entry);
      const now = Date.now() + state.clockOffsetMs;
      const result = await verifySigV4Request(
        { ...entry, body },
        {
          region: REGION,
          service: SERVICE,
          now,
          signingKeyFor: (id, date, region, service) =>
            id === ACCESS_KEY_ID
              ? deriveSigV4SigningKey(SECRET_ACCESS_KEY, date, region, service)
              : undefined,
          seen: (signature, untilMs) => {
            for (const [known, until] of seen) if (until < now) seen.delete(known);
            const already = seen.has(signature);
            seen.set(signature, untilMs);
            return already;
          },
        },
      );
      const answer: Answer = result.ok
        ? {
            status: 200,
            accessKeyId: result.value.accessKeyId,
            canonicalization: result.value.canonicalization,
          }
        : { status: result.error.status, reason: result.error.reason };
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    received,
    get clockOffsetMs() {
      return state.clockOffsetMs;
    },
    set clockOffsetMs(value: number) {
      state.clockOffsetMs = value;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** Reads the server's JSON answer off a fetch response. */
export async function answerOf(response: Response): Promise<Answer> {
  return { ...((await response.json()) as Answer), status: response.status };
}

const HOP_BY_HOP = new Set(['content-length', 'transfer-encoding', 'connection']);

/**
 * Sends a request exactly as given (headers in order, repeats kept, target not
 * normalised), with the content length of the body given.
 */
export function sendRaw(port: number, request: Received): Promise<Answer> {
  const headers: string[] = [];
  for (let index = 0; index < request.rawHeaders.length; index += 2) {
    const name = request.rawHeaders[index] ?? '';
    if (!HOP_BY_HOP.has(name.toLowerCase())) headers.push(name, request.rawHeaders[index + 1] ?? '');
  }
  headers.push('Content-Length', String(request.body.length), 'Connection', 'close');
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest({
      host: '127.0.0.1',
      port,
      method: request.method,
      path: request.target,
      headers,
    });
    outgoing.on('error', reject);
    outgoing.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          ...(JSON.parse(Buffer.concat(chunks).toString()) as Answer),
          status: response.statusCode ?? 0,
        }),
      );
    });
    outgoing.end(request.body);
  });
}

/** Replaces the value of a header (all its occurrences), or drops it with `null`. */
export function withHeader(request: Received, name: string, value: string | null): Received {
  const rawHeaders: string[] = [];
  let replaced = false;
  for (let index = 0; index < request.rawHeaders.length; index += 2) {
    const current = request.rawHeaders[index] ?? '';
    if (current.toLowerCase() !== name.toLowerCase()) {
      rawHeaders.push(current, request.rawHeaders[index + 1] ?? '');
    } else if (value !== null && !replaced) {
      rawHeaders.push(current, value);
      replaced = true;
    }
  }
  return { ...request, rawHeaders };
}

/** The value of a received header. */
export function headerOf(request: Received, name: string): string | undefined {
  for (let index = 0; index < request.rawHeaders.length; index += 2) {
    if ((request.rawHeaders[index] ?? '').toLowerCase() === name) return request.rawHeaders[index + 1];
  }
  return undefined;
}

/**
 * Runs `curl --aws-sigv4 "aws:amz:local:billing" --user ID:SECRET` with extra arguments
 * and returns the server's answer.
 */
export async function curl(
  args: readonly string[],
  user = `${ACCESS_KEY_ID}:${SECRET_ACCESS_KEY}`,
): Promise<Answer> {
  const { stdout } = await promisify(execFile)(
    'curl',
    [
      '--silent',
      '--show-error',
      '--aws-sigv4',
      `aws:amz:${REGION}:${SERVICE}`,
      '--user',
      user,
      '--write-out',
      '\n%{http_code}',
      ...args,
    ],
    { timeout: 30_000 },
  );
  const newline = stdout.lastIndexOf('\n');
  return { ...(JSON.parse(stdout.slice(0, newline)) as Answer), status: Number(stdout.slice(newline + 1)) };
}
