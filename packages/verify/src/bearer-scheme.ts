import { ErrorCode, InvalidToken, type RevocationList, type TesseraError } from '@tessera/core';

type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

import { extractBearerToken, presentsBearerToken } from './bearer-token.js';
import type { IntrospectionClient } from './introspection-client.js';
import type { JwtVerifier } from './jwt-verifier.js';
import type { Identity, Scheme, VerifyRequest } from './verification.js';

export interface BearerSchemeOptions {
  readonly jwt: JwtVerifier;
  /** For opaque tokens; without it only JWTs are accepted. */
  readonly introspection: IntrospectionClient | undefined;
  readonly revocations: RevocationList;
  /** Seconds since the epoch. */
  readonly now: () => number;
}

type Checked = { ok: true; identity: Identity } | { ok: false; error: TesseraError };

const refused = (description: string, code: ErrorCodeValue = ErrorCode.TOKEN_INVALID): Checked => ({
  ok: false,
  error: new InvalidToken(code, description),
});

/**
 * `Authorization: Bearer` (RFC 6750): JWT access tokens checked locally, opaque ones by
 * introspection, both against the revocation list. A token bound to a key or certificate
 * (`cnf`) is not a bearer token and is refused here (RFC 9449 §7.1, RFC 8705 §3).
 */
export function createBearerScheme(options: BearerSchemeOptions): Scheme {
  return {
    name: 'bearer',
    presents: presentsBearerToken,
    async verify(request: VerifyRequest): Promise<Checked> {
      const token = extractBearerToken(request);
      if (!token.ok) return token;
      return looksLikeJws(token.value) ? fromJwt(token.value) : fromOpaque(token.value);
    },
  };

  async function fromJwt(token: string): Promise<Checked> {
    const result = await options.jwt.verify(token);
    if (!result.ok) return result;
    const { subject, clientId, tokenId, scopes, issuedAt, claims } = result.value;
    if (claims.cnf !== undefined) return refused('This token is bound to a key; present it with its proof.');
    if (options.revocations.isRevoked({ jti: tokenId, clientId, subject, issuedAt }, options.now())) {
      return refused('The access token was revoked.', ErrorCode.TOKEN_REVOKED);
    }
    return {
      ok: true,
      identity: { subject, clientId, scopes, scheme: 'bearer', claims, confirmation: undefined },
    };
  }

  async function fromOpaque(token: string): Promise<Checked> {
    if (options.introspection === undefined) return refused('The access token is malformed.');
    const result = await options.introspection.introspect(token);
    if (!result.ok) return result;
    const { subject, clientId, tokenId, scopes, issuedAt, claims } = result.value;
    if (claims.cnf !== undefined) return refused('This token is bound to a key; present it with its proof.');
    const revocable = { jti: tokenId ?? '', clientId: clientId ?? '', subject, issuedAt: issuedAt ?? 0 };
    if (options.revocations.isRevoked(revocable, options.now())) {
      return refused('The access token was revoked.', ErrorCode.TOKEN_REVOKED);
    }
    return {
      ok: true,
      identity: { subject, clientId, scopes, scheme: 'bearer', claims, confirmation: undefined },
    };
  }
}

/** Three base64url segments: a JWS. Anything else is an opaque token. */
const looksLikeJws = (token: string) => /^[^.]+\.[^.]+\.[^.]*$/.test(token);
