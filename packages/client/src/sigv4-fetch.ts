/**
 * A `fetch` that signs every request with AWS Signature Version 4, for APIs behind
 * Tessera's gateway (scheme `sigv4`) or any other SigV4 verifier.
 */
import { deriveSigV4SigningKey, signSigV4Request } from '@tessera/core';

export interface SigV4FetchOptions {
  /** The credential's access key id (`tessera hmac create` prints it). */
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** The region the verifier expects, as in the gateway's `sigv4.region`. */
  readonly region: string;
  /** The service the verifier expects, as in the gateway's `sigv4.service`. */
  readonly service: string;
  /** The `fetch` to call once signed; the global one by default. */
  readonly fetch?: typeof fetch;
  /** The clock, in milliseconds; `Date.now` by default. */
  readonly now?: () => number;
}

/**
 * Creates a `fetch`-compatible function that signs each request before sending it:
 * `Authorization`, `X-Amz-Date` and `X-Amz-Content-Sha256` are added; `host`, the body's
 * hash and every header of the request but the hop-by-hop ones are signed.
 *
 * The body must be known before the request starts, since its hash is in a header: it is
 * read into memory, whatever its type (string, bytes, `URLSearchParams`, `Blob`,
 * `FormData`, or the body of a `Request` passed as input). A `ReadableStream` or async
 * iterable given as `init.body` is refused with a `TypeError` rather than buffered
 * behind the caller's back; read it into a `Uint8Array` first if that is what you want.
 * A redirect is followed by `fetch` with the same headers, so the verifier at the new
 * location refuses it: pass `redirect: 'manual'` to handle redirects yourself.
 *
 * @example
 * ```ts
 * const signedFetch = createSigV4Fetch({
 *   accessKeyId: process.env.TESSERA_ACCESS_KEY_ID,
 *   secretAccessKey: process.env.TESSERA_SECRET_ACCESS_KEY,
 *   region: 'local',
 *   service: 'billing',
 * });
 * const response = await signedFetch('https://gateway.example.com/v1/charges', {
 *   method: 'POST',
 *   headers: { 'content-type': 'application/json' },
 *   body: JSON.stringify({ amount: 100 }),
 * });
 * ```
 */
export function createSigV4Fetch(options: SigV4FetchOptions): typeof fetch {
  const { accessKeyId, secretAccessKey, region, service } = options;
  if (typeof accessKeyId !== 'string' || !/^[A-Za-z0-9._-]{1,128}$/.test(accessKeyId)) {
    throw new TypeError("accessKeyId must be 1 to 128 letters, digits, '.', '_' or '-'");
  }
  // Derives a key once, so that a bad secret, region or service fails here, not per request.
  deriveSigV4SigningKey(secretAccessKey, '20000101', region, service);
  const send = options.fetch ?? globalThis.fetch;
  if (typeof send !== 'function') throw new TypeError('no fetch: pass options.fetch');
  const now = options.now ?? Date.now;

  return async function sigV4Fetch(
    input: Parameters<typeof fetch>[0],
    init?: RequestInit,
  ): Promise<Response> {
    if (isStream(init?.body)) {
      throw new TypeError(
        'createSigV4Fetch cannot sign a streamed body: its SHA-256 goes in a header before it is sent. Pass a string or a Uint8Array.',
      );
    }
    const request = new Request(input, init);
    const body = request.body === null ? undefined : new Uint8Array(await request.arrayBuffer());
    const signature = signSigV4Request({
      method: request.method,
      url: request.url,
      headers: [...request.headers],
      body,
      accessKeyId,
      secretAccessKey,
      region,
      service,
      now: now(),
    });
    const headers = new Headers(request.headers);
    for (const [name, value] of Object.entries(signature.headers)) headers.set(name, value);
    return send(request.url, {
      ...init,
      method: request.method,
      headers,
      body: body ?? null,
      signal: request.signal,
      redirect: init?.redirect ?? request.redirect,
    });
  } as typeof fetch;
}

function isStream(body: unknown): boolean {
  if (body === null || typeof body !== 'object') return false;
  if (typeof ReadableStream !== 'undefined' && body instanceof ReadableStream) return true;
  return Symbol.asyncIterator in body;
}
