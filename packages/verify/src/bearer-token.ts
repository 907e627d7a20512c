import { ErrorCode, InvalidRequest, InvalidToken, parseAuthorization, type Result } from '@tessera/core';
import type { VerifyRequest } from './verification.js';

const TOKEN_PARAM = 'access_token';

/** Whether the request carries a bearer token anywhere, allowed place or not; an API key in
 * the Bearer header belongs to the API-key scheme. */
export function presentsBearerToken(request: VerifyRequest): boolean {
  const bearer = authorizationScheme(request) === 'bearer' && !bearerIsApiKey(request);
  return bearer || tokenInQuery(request) || tokenInForm(request);
}

/**
 * The bearer token of a request, from the `Authorization` header only (RFC 6750 §2.1). A
 * token in the query string or form body is refused: URLs end up in logs and histories,
 * and bodies are not ours to read.
 */
export function extractBearerToken(request: VerifyRequest): Result<string, InvalidRequest | InvalidToken> {
  if (tokenInQuery(request) || tokenInForm(request)) {
    return {
      ok: false,
      error: new InvalidRequest(
        ErrorCode.CREDENTIAL_IN_URL,
        'Send the access token in the Authorization header, not in the URL or the body.',
      ),
    };
  }
  const parsed = parseAuthorization(headerValue(request, 'authorization') ?? '');
  if (parsed === null || parsed.scheme !== 'bearer') {
    return { ok: false, error: new InvalidToken(ErrorCode.TOKEN_INVALID, 'The access token is malformed.') };
  }
  return { ok: true, value: parsed.token68 };
}

/** Whether the `Authorization: Bearer` value is shaped like a Tessera API key (`tsk_…`). */
export function bearerIsApiKey(request: VerifyRequest): boolean {
  return /^\s*bearer\s+tsk_/i.test(headerValue(request, 'authorization') ?? '');
}

/** The lower-cased scheme of the `Authorization` header, if any. */
export function authorizationScheme(request: VerifyRequest): string | undefined {
  const value = headerValue(request, 'authorization');
  return value === undefined ? undefined : /^\s*([^\s]+)/.exec(value)?.[1]?.toLowerCase();
}

/** How many times the request carries `name`: Node folds some repeated headers into one. */
export function headerCount(request: VerifyRequest, name: string): number {
  if (request.rawHeaders !== undefined) {
    let count = 0;
    for (let i = 0; i < request.rawHeaders.length; i += 2)
      if (request.rawHeaders[i]?.toLowerCase() === name) count++;
    return count;
  }
  const value = request.headers[name];
  return value === undefined ? 0 : Array.isArray(value) ? value.length : 1;
}

export function headerValue(request: VerifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : (value as string | undefined);
}

function tokenInQuery(request: VerifyRequest): boolean {
  const query = request.url.indexOf('?');
  return query !== -1 && new URLSearchParams(request.url.slice(query + 1)).has(TOKEN_PARAM);
}

function tokenInForm(request: VerifyRequest): boolean {
  const { formBody } = request;
  if (formBody === undefined) return false;
  return formBody instanceof URLSearchParams
    ? formBody.has(TOKEN_PARAM)
    : Object.hasOwn(formBody, TOKEN_PARAM);
}
