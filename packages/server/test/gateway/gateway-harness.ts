/**
 * What the gateway suites share: a real upstream that echoes what reached it, the gateway
 * in-process on a loopback port, and a raw HTTP client that sends exactly the headers and
 * path it is given (repeated headers, odd case, unnormalised paths).
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Readable, Writable } from 'node:stream';
import { type RunningGateway, type StartGatewayOptions, startGateway } from '../../src/gateway/gateway.js';
import { parseGatewayConfig } from '../../src/gateway/gateway-config.js';

/** What the echo upstream saw of one request. */
export interface Echo {
  readonly method: string;
  readonly url: string;
  readonly rawHeaders: string[];
  readonly bodyLength: number;
  readonly bodySha256: string;
}

export interface EchoUpstream {
  readonly url: string;
  /** How many requests reached it. */
  count(): number;
  /** Lets every `/hold-download` answer go on past its first chunk. */
  release(): void;
  /** Resolves when a `/hold-upload` request has received its first body bytes. */
  uploadStarted(): Promise<void>;
  /** Resolves when a request's connection closes before its body is complete. */
  requestCutOff(): Promise<void>;
  close(): Promise<void>;
}

/**
 * An upstream that answers:
 * - `/slow…`: never (until closed);
 * - `/hold-download`: headers and a first chunk, the rest only after `release()`;
 * - `/hold-upload`: an echo, telling `uploadStarted()` when the first body bytes arrive;
 * - `/download?bytes=N`: N bytes of a fixed pattern, streamed, plus hop-by-hop headers that
 *   must not reach the caller;
 * - anything else: an {@link Echo} as JSON, the body hashed as it streams in.
 */
export async function startEchoUpstream(): Promise<EchoUpstream> {
  let count = 0;
  const sockets = new Set<Socket>();
  let held: (() => void)[] = [];
  let uploadListeners: (() => void)[] = [];
  let cutOffListeners: (() => void)[] = [];
  const server = createServer((req, res) => {
    count++;
    const url = req.url ?? '';
    if (url.startsWith('/slow')) return;
    if (url.startsWith('/hold-download')) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write(Buffer.alloc(64 * 1024, 1));
      held.push(() => res.end(Buffer.alloc(64 * 1024, 2)));
      return;
    }
    if (url.startsWith('/hold-upload')) {
      req.once('data', () => {
        for (const listener of uploadListeners.splice(0)) listener();
      });
    }
    if (url.startsWith('/download')) {
      const bytes = Number(new URL(url, 'http://x').searchParams.get('bytes'));
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': bytes,
        connection: 'keep-alive, x-hop-secret',
        'x-hop-secret': 'must not be returned',
        'keep-alive': 'timeout=5',
        'x-upstream': 'download',
      });
      Readable.from(patternChunks(bytes)).pipe(res);
      return;
    }
    req.once('close', () => {
      if (!req.complete) for (const listener of cutOffListeners.splice(0)) listener();
    });
    const hash = createHash('sha256');
    let length = 0;
    req.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      length += chunk.length;
    });
    req.on('end', () => {
      const echo: Echo = {
        method: req.method ?? '',
        url,
        rawHeaders: req.rawHeaders,
        bodyLength: length,
        bodySha256: hash.digest('hex'),
      };
      const body = JSON.stringify(echo);
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'set-cookie': ['a=1', 'b=2'],
      });
      res.end(body);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await listen(server);
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    count: () => count,
    release: () => {
      for (const go of held.splice(0)) go();
    },
    uploadStarted: () => new Promise((resolve) => uploadListeners.push(resolve)),
    requestCutOff: () => new Promise((resolve) => cutOffListeners.push(resolve)),
    close: () => {
      held = [];
      uploadListeners = [];
      cutOffListeners = [];
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** `bytes` bytes of a pattern that shifts every chunk, so a dropped or repeated chunk shows. */
export function* patternChunks(bytes: number, chunkSize = 64 * 1024): Generator<Buffer> {
  let sent = 0;
  let index = 0;
  while (sent < bytes) {
    const size = Math.min(chunkSize, bytes - sent);
    const chunk = Buffer.alloc(size);
    for (let i = 0; i < size; i++) chunk[i] = (i + index * 7) & 0xff;
    yield chunk;
    sent += size;
    index++;
  }
}

export function sha256Of(chunks: Iterable<Buffer>): string {
  const hash = createHash('sha256');
  for (const chunk of chunks) hash.update(chunk);
  return hash.digest('hex');
}

export interface TestGateway {
  readonly gateway: RunningGateway;
  readonly url: string;
  /** Everything the gateway has logged so far. */
  logs(): string;
  close(): Promise<void>;
}

/** Starts the gateway in-process on a free loopback port, from a config object as written in a file. */
export async function startTestGateway(
  config: Record<string, unknown>,
  options: StartGatewayOptions = {},
): Promise<TestGateway> {
  const lines: string[] = [];
  const logDestination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const parsed = parseGatewayConfig(
    { listen: { host: '127.0.0.1', port: 0 }, ...config },
    { baseDir: process.cwd() },
  );
  const gateway = await startGateway(parsed, { logDestination, ...options });
  return { gateway, url: gateway.url, logs: () => lines.join(''), close: () => gateway.close() };
}

export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly rawHeaders: string[];
  readonly body: Buffer;
}

export interface RawRequest {
  readonly method?: string;
  /** Sent as is: no normalisation, no encoding. */
  readonly path: string;
  /** `[name, value, …]`, sent in this order and case; a Host header is added if missing. */
  readonly headers?: readonly string[];
  readonly body?: Buffer | string | Iterable<Buffer> | AsyncIterable<Buffer>;
}

/** Sends one request on a fresh connection and reads the whole answer. */
export async function send(origin: string, options: RawRequest): Promise<RawResponse> {
  const res = await openResponse(origin, options);
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return {
    status: res.statusCode ?? 0,
    headers: res.headers,
    rawHeaders: res.rawHeaders,
    body: Buffer.concat(chunks),
  };
}

/** Sends one request on a fresh connection; resolves with the response once its headers are in. */
export function openResponse(origin: string, options: RawRequest): Promise<IncomingMessage> {
  const { hostname, port } = new URL(origin);
  const headers = [...(options.headers ?? [])];
  if (!headers.some((name, i) => i % 2 === 0 && name.toLowerCase() === 'host')) {
    headers.unshift('Host', `${hostname}:${port}`);
  }
  return new Promise((resolve, reject) => {
    const req = request(
      { host: hostname, port, method: options.method ?? 'GET', path: options.path, headers, agent: false },
      resolve,
    );
    req.on('error', reject);
    const { body } = options;
    if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) {
      req.end(body);
    } else {
      Readable.from(body).pipe(req);
    }
  });
}

export const json = (response: RawResponse) => JSON.parse(response.body.toString('utf8'));

/** The values of every copy of header `name` (any case) in a raw header list. */
export function headerValues(rawHeaders: readonly string[], name: string): string[] {
  const values: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]?.toLowerCase() === name) values.push(rawHeaders[i + 1] as string);
  }
  return values;
}

function listen(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
}
