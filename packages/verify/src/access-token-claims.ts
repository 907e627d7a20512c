/**
 * The claims of an RFC 9068 JWT access token, checked after the signature: required
 * claims present and of the right type, issuer and audience exact, times within the
 * clock tolerance.
 */
import { Rejection } from './rejection.js';

/** What a verified access token says; `claims` holds the whole payload. */
export interface VerifiedToken {
  readonly issuer: string;
  readonly subject: string;
  readonly clientId: string;
  /** `jti`: revoke and deduplicate by this, never by the token text (ECDSA signatures are malleable). */
  readonly tokenId: string;
  readonly audience: readonly string[];
  readonly scopes: readonly string[];
  /** NumericDates, in seconds. */
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly notBefore: number | undefined;
  readonly claims: Readonly<Record<string, unknown>>;
}

export interface ClaimExpectations {
  readonly issuer: string;
  readonly audiences: readonly string[];
  readonly clockToleranceSeconds: number;
}

export type ClaimsResult =
  | { readonly ok: true; readonly value: VerifiedToken }
  | { readonly ok: false; readonly reason: Rejection };

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), joined by single spaces.
const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]+(?: [\x21\x23-\x5b\x5d-\x7e]+)*$/;

/**
 * Checks a decoded payload against the RFC 9068 profile at time `nowSeconds`.
 *
 * Refused: a payload that is not a JSON object; `iss` not exactly the issuer (an array
 * never matches); `aud` neither a string nor a non-empty array of strings, or naming none
 * of the audiences; `exp` or `iat` missing, or any of `exp`, `nbf`, `iat` not a finite
 * number; `sub`, `client_id` or `jti` missing, empty or not a string; `scope` present but
 * not an RFC 6749 scope string. Times: expired when `now - tolerance >= exp`, too early
 * when `nbf > now + tolerance` or `iat > now + tolerance`.
 *
 * @example
 * ```ts
 * const result = checkAccessTokenClaims(JSON.parse(payload), expectations, Date.now() / 1000);
 * ```
 */
export function checkAccessTokenClaims(
  payload: unknown,
  expected: ClaimExpectations,
  nowSeconds: number,
): ClaimsResult {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return { ok: false, reason: Rejection.PAYLOAD };
  }
  const claims = payload as Record<string, unknown>;
  const iss = own(claims, 'iss');
  const aud = own(claims, 'aud');
  const exp = own(claims, 'exp');
  const nbf = own(claims, 'nbf');
  const iat = own(claims, 'iat');
  const sub = own(claims, 'sub');
  const clientId = own(claims, 'client_id');
  const jti = own(claims, 'jti');
  const scope = own(claims, 'scope');
  if (iss !== expected.issuer) return { ok: false, reason: Rejection.ISS };
  const audience = typeof aud === 'string' ? [aud] : aud;
  if (!Array.isArray(audience) || !namesAudience(audience, expected.audiences)) {
    return { ok: false, reason: Rejection.AUD };
  }
  if (!isNumericDate(exp)) return { ok: false, reason: Rejection.EXP };
  if (nbf !== undefined && !isNumericDate(nbf)) return { ok: false, reason: Rejection.NBF };
  if (!isNumericDate(iat)) return { ok: false, reason: Rejection.IAT };
  if (!isNonEmptyString(sub)) return { ok: false, reason: Rejection.SUB };
  if (!isNonEmptyString(clientId)) return { ok: false, reason: Rejection.CLIENT_ID };
  if (!isNonEmptyString(jti)) return { ok: false, reason: Rejection.JTI };
  if (scope !== undefined && (typeof scope !== 'string' || !SCOPE.test(scope))) {
    return { ok: false, reason: Rejection.SCOPE };
  }
  const tolerance = expected.clockToleranceSeconds;
  if (nowSeconds - tolerance >= exp) return { ok: false, reason: Rejection.EXPIRED };
  if (nbf !== undefined && nbf > nowSeconds + tolerance)
    return { ok: false, reason: Rejection.NOT_YET_VALID };
  if (iat > nowSeconds + tolerance) return { ok: false, reason: Rejection.ISSUED_IN_FUTURE };

  return {
    ok: true,
    value: {
      issuer: iss,
      subject: sub,
      clientId,
      tokenId: jti,
      audience: audience as string[],
      scopes: scope === undefined ? [] : (scope as string).split(' '),
      issuedAt: iat,
      expiresAt: exp,
      notBefore: nbf as number | undefined,
      claims,
    },
  };
}

// Own members only: a polluted Object.prototype must not supply a missing claim.
function own(claims: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(claims, name) ? claims[name] : undefined;
}

/** Every entry a string, and at least one of them expected. */
function namesAudience(audience: unknown[], expected: readonly string[]): boolean {
  let found = false;
  for (const entry of audience) {
    if (typeof entry !== 'string') return false;
    if (!found && expected.includes(entry)) found = true;
  }
  return found;
}

function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}
