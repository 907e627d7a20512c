/**
 * Forwarding one request to the upstream and streaming its answer back, over a keep-alive
 * connection pool (`undici`).
 */
import type { ServerResponse } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';
import { Pool } from 'undici';
import { downstreamResponseHeaders } from './upstream-headers.js';

/** How a forwarding ended, and the error code behind a failure (for the log). */
export interface ForwardResult {
  readonly outcome: ForwardOutcome;
  readonly cause?: string | undefined;
}

export type ForwardOutcome =
  /** The upstream's answer was passed on (or its body broke off after the headers: the caller sees a cut). */
  | 'forwarded'
  /** Connection refused, reset, or a bad answer before the headers: answer 502. */
  | 'unreachable'
  /** No response headers (or no connection) in time: answer 504. */
  | 'timeout'
  /** The caller went away first. */
  | 'aborted';

export interface UpstreamRequest {
  readonly method: string;
  /** Path and query, as received. */
  readonly target: string;
  /** A flat `[name, value, …]` list. */
  readonly headers: string[];
  /** The request body: none, a buffered one, or the caller's stream. */
  readonly body: Buffer | Readable | null;
}

/**
 * The caller's body behind a PassThrough. Why: undici destroys a stream body when the
 * upstream fails, and destroying the caller's IncomingMessage would destroy its socket
 * before our 502. And when the caller goes away mid-body, the upstream request is failed
 * rather than left waiting for the rest.
 */
function detachedBody(body: Readable): Readable {
  const pass = new PassThrough();
  body.pipe(pass);
  body.once('close', () => {
    if (!body.readableEnded) pass.destroy(new Error('the caller went away mid-body'));
  });
  return pass;
}

export interface UpstreamProxyOptions {
  /** Time allowed for the upstream's response headers, and for connecting. */
  readonly headersTimeoutMs: number;
}

/**
 * The gateway's side of the upstream: one pool of keep-alive connections to its origin.
 *
 * @example
 * ```ts
 * const proxy = new UpstreamProxy('http://127.0.0.1:9000', { headersTimeoutMs: 30_000 });
 * const result = await proxy.forward({ method: 'GET', target: '/v1/x', headers: [], body: null }, res);
 * ```
 */
export class UpstreamProxy {
  readonly #pool: Pool;

  constructor(origin: string, options: UpstreamProxyOptions) {
    this.#pool = new Pool(origin, {
      headersTimeout: options.headersTimeoutMs,
      connectTimeout: options.headersTimeoutMs,
      // Why none: a long download or an event stream may pause for minutes; the caller's
      // going away (or the upstream's) ends it, not a timer.
      bodyTimeout: 0,
      keepAliveTimeout: 4000,
    });
  }

  /**
   * Sends `request` upstream and streams the answer into `res`. Errors before the response
   * headers are returned for the caller to answer (`res` is untouched); after them, `res`
   * is destroyed, which is all a proxy can say once a status line has gone out.
   */
  async forward(request: UpstreamRequest, res: ServerResponse): Promise<ForwardResult> {
    // Why no AbortSignal: once the answer streams, undici watches `res` and aborts the upstream
    // request when the caller goes away, and an AbortController per request costs several µs
    // on the hot path. Before the answer, a caller going away leaves the upstream request to
    // finish or time out, at worst.
    let body: Buffer | Readable | null = request.body;
    if (body !== null && !Buffer.isBuffer(body)) body = detachedBody(body);
    try {
      await this.#pool.stream(
        {
          path: request.target,
          method: request.method as 'GET',
          headers: request.headers,
          body,
          responseHeaders: 'raw',
        },
        ({ statusCode, headers }) => {
          res.writeHead(statusCode, downstreamResponseHeaders(headers as unknown as string[]));
          return res;
        },
      );
      return { outcome: 'forwarded' };
    } catch (error) {
      const cause = (error as { code?: string }).code ?? (error as Error).name;
      // Node marks the response destroyed when the caller's connection closes.
      if (res.destroyed && !res.writableFinished) return { outcome: 'aborted', cause };
      if (res.headersSent) {
        res.destroy();
        return { outcome: 'forwarded', cause };
      }
      const timedOut = cause === 'UND_ERR_HEADERS_TIMEOUT' || cause === 'UND_ERR_CONNECT_TIMEOUT';
      return { outcome: timedOut ? 'timeout' : 'unreachable', cause };
    }
  }

  /** Closes the pool once the requests in flight are done. */
  close(): Promise<void> {
    return this.#pool.close();
  }
}
