import { ErrorCode, InvalidToken, type RevocationList, type TesseraError } from '@tessera/core';
import type { IntrospectionClient } from './introspection-client.js';
import type { JwtVerifier } from './jwt-verifier.js';

export interface AccessTokenCheckOptions {
  readonly jwt: JwtVerifier;
  /** For opaque tokens; without it only JWTs are accepted. */
  readonly introspection: IntrospectionClient | undefined;
  readonly revocations: RevocationList;
  /** Seconds since the epoch. */
  readonly now: () => number;
}

/** An access token found valid and unrevoked; what it is bound to is the scheme's to judge. */
export interface CheckedAccessToken {
  readonly subject: string;
  readonly clientId: string | undefined;
  readonly scopes: readonly string[];
  readonly claims: Readonly<Record<string, unknown>>;
}

export type AccessTokenCheck = (
  token: string,
) => Promise<{ ok: true; value: CheckedAccessToken } | { ok: false; error: TesseraError }>;

/**
 * What the Bearer and DPoP schemes share: a JWT access token checked locally, any other by
 * introspection, then against the revocation list.
 */
export function createAccessTokenCheck(options: AccessTokenCheckOptions): AccessTokenCheck {
  const refused = (description: string, code: ErrorCode = ErrorCode.TOKEN_INVALID) => ({
    ok: false as const,
    error: new InvalidToken(code, description),
  });
  return async (token) => {
    let found: {
      subject: string;
      clientId: string | undefined;
      tokenId: string | undefined;
      scopes: readonly string[];
      issuedAt: number | undefined;
      claims: Readonly<Record<string, unknown>>;
    };
    if (looksLikeJws(token)) {
      const result = await options.jwt.verify(token);
      if (!result.ok) return result;
      found = result.value;
    } else {
      if (options.introspection === undefined) return refused('The access token is malformed.');
      const result = await options.introspection.introspect(token);
      if (!result.ok) return result;
      found = result.value;
    }
    const { subject, clientId, tokenId, scopes, issuedAt, claims } = found;
    const revocable = { jti: tokenId ?? '', clientId: clientId ?? '', subject, issuedAt: issuedAt ?? 0 };
    if (options.revocations.isRevoked(revocable, options.now())) {
      return refused('The access token was revoked.', ErrorCode.TOKEN_REVOKED);
    }
    return { ok: true, value: { subject, clientId, scopes, claims } };
  };
}

/**
 * Exactly two dots, the first two parts non-empty: a JWS. Anything else is an opaque token.
 * (`indexOf` rather than a regular expression: this runs on every request, cached or not.)
 */
export function looksLikeJws(token: string): boolean {
  const first = token.indexOf('.');
  if (first < 1) return false;
  const second = token.indexOf('.', first + 1);
  return second > first + 1 && !token.includes('.', second + 1);
}
