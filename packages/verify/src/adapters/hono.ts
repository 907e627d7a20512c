/**
 * The Hono adapter (Hono 4, any runtime): a middleware that verifies the request and puts
 * the caller's identity in the context (`c.get('auth')`), or answers the refusal itself.
 */
import type { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Identity, ScopePolicy, VerifyRequest } from '../verification.js';
import type { Verifier } from '../verifier.js';
import { clientCertificateOf, isFormMediaType, refusalHeaders } from './http-mapping.js';

/** The context variables `requireAuth` sets: `c.get('auth')` is the caller. */
export interface TesseraAuthEnv {
  Variables: { auth: Identity };
}

/**
 * A middleware that lets through only requests whose credential the verifier accepts and
 * whose scopes satisfy `policy`; handlers after it find the caller in `c.get('auth')`. A
 * refused request is answered here (status, `WWW-Authenticate`, RFC 6750 JSON body) and goes
 * no further. An unexpected failure is thrown to Hono's error handler.
 *
 * On `@hono/node-server` it reads Node's raw request (`c.env.incoming`), so that two
 * `Authorization` headers are refused; elsewhere the Fetch API has already joined them.
 *
 * @example
 * ```ts
 * import { Hono } from 'hono';
 * import { createVerifier } from '@tessera/verify';
 * import { requireAuth } from '@tessera/verify/hono';
 *
 * const verifier = createVerifier({ issuer: 'https://auth.example.com', audience: 'billing-api' });
 * const app = new Hono();
 * app.get('/v1/charges', requireAuth(verifier, { allOf: ['charges:read'] }), (c) =>
 *   c.json({ caller: c.get('auth').subject }),
 * );
 * ```
 */
export function requireAuth(verifier: Verifier, policy?: ScopePolicy): MiddlewareHandler<TesseraAuthEnv> {
  return async function tesseraRequireAuth(c, next) {
    const outcome = await verifier.verify(await verifyRequestOf(c), policy);
    if (!outcome.ok) {
      const { refusal } = outcome;
      return c.json(refusal.error.toJSON(), refusal.status as ContentfulStatusCode, refusalHeaders(refusal));
    }
    c.set('auth', outcome.identity);
    await next();
  };
}

async function verifyRequestOf(c: Context): Promise<VerifyRequest> {
  const formBody = await parsedFormBody(c);
  const incoming = nodeRequestOf(c.env);
  if (incoming !== undefined) {
    return {
      method: incoming.method ?? c.req.method,
      url: incoming.url ?? pathAndQuery(c.req.url),
      headers: incoming.headers,
      rawHeaders: incoming.rawHeaders,
      formBody,
      ...clientCertificateOf(incoming),
    };
  }
  return {
    method: c.req.method,
    url: pathAndQuery(c.req.url),
    headers: Object.fromEntries(c.req.raw.headers),
    formBody,
  };
}

/** `@hono/node-server` passes Node's request as `env.incoming`. */
function nodeRequestOf(env: unknown): IncomingMessage | undefined {
  if (typeof env !== 'object' || env === null || !('incoming' in env)) return undefined;
  const { incoming } = env as { incoming: unknown };
  return typeof incoming === 'object' &&
    incoming !== null &&
    Array.isArray((incoming as { rawHeaders?: unknown }).rawHeaders)
    ? (incoming as IncomingMessage)
    : undefined;
}

function pathAndQuery(url: string): string {
  const { pathname, search } = new URL(url);
  return pathname + search;
}

/**
 * The form an earlier middleware already read (`c.req.parseBody()`, a form validator). Hono
 * reads bodies lazily, and this adapter does not read one itself: that is the app's choice,
 * with its own size limit.
 */
async function parsedFormBody(c: Context): Promise<URLSearchParams | undefined> {
  const cached = c.req.bodyCache.formData;
  if (cached === undefined || !isFormMediaType(c.req.header('content-type'))) return undefined;
  let form: FormData;
  try {
    form = await cached;
  } catch {
    return undefined;
  }
  const fields = new URLSearchParams();
  for (const [name, value] of form) if (typeof value === 'string') fields.append(name, value);
  return fields;
}
