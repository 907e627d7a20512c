/**
 * Turning a Node request into what the verifier is shown. A form body is read first (up to
 * a limit), so that a token sent in it (RFC 6750 §2.2) is seen and refused.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { VerifyRequest } from '@tessera/verify';

/** Form bodies are read into memory for the verifier up to this size; larger ones get 413. */
export const DEFAULT_FORM_BODY_LIMIT = 64 * 1024;
/** SigV4-signed bodies are read to check their hash up to this size; larger ones get 413. */
export const DEFAULT_SIGNED_BODY_LIMIT = 10 * 1024 * 1024;

export type ReadRequest =
  | { readonly ok: true; readonly request: VerifyRequest; readonly body: Buffer | undefined }
  | { readonly ok: false; readonly reason: 'too-large' | 'aborted' };

/**
 * Builds the verifier's view of `req`. A request with an `application/x-www-form-urlencoded`
 * body has it read and parsed (`formBody`), so that a token in it is seen and refused; a
 * request signed with SigV4 has its body read (`body`), since the signature covers its hash.
 * Either is returned, to be forwarded as it came; any other body is left unread, to be
 * streamed.
 *
 * @example
 * ```ts
 * const read = await readVerifyRequest(req, { form: DEFAULT_FORM_BODY_LIMIT, signed: DEFAULT_SIGNED_BODY_LIMIT });
 * if (read.ok) await verifier.verify(read.request, { allOf: ['charges:read'] });
 * ```
 */
export function readVerifyRequest(
  req: IncomingMessage,
  limits: { readonly form: number; readonly signed: number },
): ReadRequest | Promise<ReadRequest> {
  const { headers } = req;
  const signed = /^\s*AWS4-HMAC-SHA256(\s|$)/.test(headers.authorization ?? '');
  const withBody = hasBody(req);
  const form = withBody && isFormBody(req.rawHeaders);
  if (!signed && !form) return { ok: true, request: requestHead(req), body: undefined };
  if (!withBody) return { ok: true, request: requestHead(req, { body: Buffer.alloc(0) }), body: undefined };
  const limit = Math.max(signed ? limits.signed : 0, form ? limits.form : 0);
  const declared = Number(headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return { ok: false, reason: 'too-large' };
  return readLimited(req, limit).then((body): ReadRequest => {
    if (typeof body === 'string') return { ok: false, reason: body };
    const request = requestHead(req, {
      formBody: form ? new URLSearchParams(body.toString('utf8')) : undefined,
      body: signed ? body : undefined,
    });
    return { ok: true, request, body };
  });
}

/** The verifier's view of the request line and headers, with whatever body it is shown. */
function requestHead(
  req: IncomingMessage,
  shown: Pick<VerifyRequest, 'formBody' | 'body'> = { formBody: undefined },
): VerifyRequest {
  return {
    method: req.method ?? '',
    url: req.url ?? '',
    headers: req.headers,
    rawHeaders: req.rawHeaders,
    // What clients addressed, for DPoP's htu: this connection's scheme and the Host they sent
    // (the config's `resource`, when set, takes its place: behind a proxy this is plain HTTP).
    origin: `${(req.socket as TLSSocket).encrypted ? 'https' : 'http'}://${req.headers.host ?? ''}`,
    ...shown,
  };
}

/** Whether a request carries a body (RFC 9112 §6.3): a non-zero length or a transfer coding. */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * Whether any `Content-Type` copy says form. Why every copy: Node keeps only the first,
 * and the upstream, which receives them all, may read another.
 */
function isFormBody(rawHeaders: readonly string[]): boolean {
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if ((rawHeaders[i] as string).toLowerCase() !== 'content-type') continue;
    const media = (rawHeaders[i + 1] as string).split(';', 1)[0]?.trim().toLowerCase();
    if (media === 'application/x-www-form-urlencoded') return true;
  }
  return false;
}

function readLimited(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large' | 'aborted'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const done = (result: Buffer | 'too-large' | 'aborted') => {
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      length += chunk.length;
      if (length > limit) {
        req.pause();
        done('too-large');
      } else {
        chunks.push(chunk);
      }
    };
    const onEnd = () => done(Buffer.concat(chunks, length));
    const onError = () => done('aborted');
    const onClose = () => {
      if (!req.complete) done('aborted');
    };
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}
