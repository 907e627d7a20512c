/**
 * A `fetch` that presents a client certificate (mutual TLS, RFC 8705), on Node's own HTTPS
 * client: for the token source of a `tls_client_auth` or `self_signed_tls_client_auth`
 * client, and for calling an API with a token bound to that certificate.
 */
import { request } from 'node:https';
import { Readable } from 'node:stream';

export interface MtlsFetchOptions {
  /** The client certificate (PEM), with any intermediates after it. */
  readonly cert: string | Buffer;
  /** Its private key (PEM). */
  readonly key: string | Buffer;
  /** The CAs to trust for the server's certificate; Node's defaults when absent. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[] | undefined;
}

/** Statuses whose response has no body (a `Response` refuses one). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * Creates a `fetch` for `https://` URLs that presents `cert`. Redirects are not followed
 * (`redirect: 'error'` and `'manual'` behave alike: the 3xx is returned); `signal` aborts.
 *
 * @example
 * ```ts
 * const mtlsFetch = createMtlsFetch({ cert: readFileSync('client.pem'), key: readFileSync('client.key') });
 * const response = await mtlsFetch('https://api.example.com/v1/orders', { headers: { authorization: `Bearer ${token}` } });
 * ```
 */
export function createMtlsFetch(options: MtlsFetchOptions): typeof fetch {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('createMtlsFetch takes { cert, key }');
  const { cert, key, ca } = options;
  if (!isPem(cert) || !isPem(key)) throw new TypeError('cert and key must be PEM, as strings or Buffers');
  const tls = {
    cert,
    key,
    ...(ca === undefined ? {} : { ca: (Array.isArray(ca) ? [...ca] : ca) as string | Buffer }),
  };
  return (input, init = {}) =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      if (url.protocol !== 'https:') {
        reject(new TypeError(`a client certificate is presented over https only, not to ${url.origin}`));
        return;
      }
      const headers: Record<string, string> = {};
      new Headers(init.headers).forEach((value, name) => {
        headers[name] = value;
      });
      const body = bodyOf(init.body);
      if (body === null) {
        reject(new TypeError('createMtlsFetch sends strings, URLSearchParams and bytes as bodies'));
        return;
      }
      if (init.body instanceof URLSearchParams) {
        headers['content-type'] ??= 'application/x-www-form-urlencoded;charset=UTF-8';
      }
      const req = request(
        url,
        {
          ...tls,
          method: init.method ?? 'GET',
          headers,
          agent: false,
          ...(init.signal ? { signal: init.signal } : {}),
        },
        (res) => {
          const responseHeaders = new Headers();
          for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
            responseHeaders.append(res.rawHeaders[i] as string, res.rawHeaders[i + 1] as string);
          }
          const status = res.statusCode ?? 0;
          if (NULL_BODY.has(status)) res.resume();
          const stream = NULL_BODY.has(status) ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
          resolve(
            new Response(stream, { status, statusText: res.statusMessage ?? '', headers: responseHeaders }),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
}

/** A body Node can write as is; null for one it cannot (a stream, a form, a blob). */
function bodyOf(body: RequestInit['body']): string | Uint8Array | undefined | null {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  if (body instanceof URLSearchParams) return body.toString();
  return null;
}

function isPem(value: unknown): value is string | Buffer {
  return (typeof value === 'string' || Buffer.isBuffer(value)) && value.toString().includes('-----BEGIN ');
}
