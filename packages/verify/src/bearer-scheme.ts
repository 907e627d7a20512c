import { ErrorCode, InvalidToken, type TesseraError } from '@tessera/core';
import type { AccessTokenCheck } from './access-token-check.js';
import { extractBearerToken, presentsBearerToken } from './bearer-token.js';
import { boundToCertificateOnly, certificateBindingError } from './certificate-binding.js';
import type { Identity, Scheme, VerifyRequest } from './verification.js';

type Checked = { ok: true; identity: Identity } | { ok: false; error: TesseraError };

/**
 * `Authorization: Bearer` (RFC 6750): JWT access tokens checked locally, opaque ones by
 * introspection, both against the revocation list. A token bound to a certificate
 * (`cnf.x5t#S256`) is accepted only over that certificate (RFC 8705 §3); one bound to a key
 * is not a bearer token and is refused here (RFC 9449 §7.1).
 */
export function createBearerScheme(check: AccessTokenCheck): Scheme {
  return {
    name: 'bearer',
    presents: presentsBearerToken,
    async verify(request: VerifyRequest): Promise<Checked> {
      const token = extractBearerToken(request);
      if (!token.ok) return token;
      const checked = await check(token.value);
      if (!checked.ok) return checked;
      const { subject, clientId, scopes, claims } = checked.value;
      const unbound = binding(claims.cnf, request);
      if (unbound !== undefined) return unbound;
      const confirmation = claims.cnf as Readonly<Record<string, unknown>> | undefined;
      return { ok: true, identity: { subject, clientId, scopes, scheme: 'bearer', claims, confirmation } };
    },
  };
}

/** The refusal of a bound token presented without what it is bound to, or undefined. */
function binding(cnf: unknown, request: VerifyRequest): Checked | undefined {
  if (cnf === undefined) return undefined;
  if (!boundToCertificateOnly(cnf)) {
    return {
      ok: false,
      error: new InvalidToken(
        ErrorCode.TOKEN_INVALID,
        'This token is bound to a key; present it with its proof.',
      ),
    };
  }
  const error = certificateBindingError(cnf, request);
  return error === undefined ? undefined : { ok: false, error };
}
