/**
 * Why a token was refused. The reason goes into the error's internal `detail` (for logs
 * and tests); the public description only ever says "invalid" or "expired", and no text
 * here contains any part of the token.
 */
import { ErrorCode, InvalidToken } from '@tessera/core';

export const Rejection = {
  NOT_A_STRING: 'token: not a string',
  TOO_LONG: 'token: longer than the limit',
  SHAPE: 'token: not three base64url segments',
  ENCODING: 'token: non-canonical base64url',
  HEADER_JSON: 'header: not a strict JSON object',
  ALG_NONE: 'header: alg is none',
  ALG_UNSUPPORTED: 'header: alg missing or unsupported',
  CRIT: 'header: crit is present',
  B64: 'header: b64 is present',
  KEY_IN_HEADER: 'header: jku, jwk, x5u or x5c is present',
  KID: 'header: kid is malformed',
  TYP_MALFORMED: 'header: typ is malformed',
  CTY_MALFORMED: 'header: cty is malformed',
  TYP: 'header: typ is not at+jwt',
  CTY: 'header: cty is present',
  ALG_NOT_ALLOWED: 'header: alg is not allowed',
  NO_KEY: 'key: none for this kid and alg',
  KEY_MISMATCH: "key: alg differs from the key's",
  SIGNATURE: 'signature: invalid',
  PAYLOAD: 'payload: not a JSON object',
  ISS: 'claims: iss is not the issuer',
  AUD: 'claims: aud does not name this audience',
  EXP: 'claims: exp missing or not a number',
  NBF: 'claims: nbf not a number',
  IAT: 'claims: iat missing or not a number',
  SUB: 'claims: sub missing or not a string',
  CLIENT_ID: 'claims: client_id missing or not a string',
  JTI: 'claims: jti missing or not a string',
  SCOPE: 'claims: scope is not a scope string',
  EXPIRED: 'claims: expired',
  NOT_YET_VALID: 'claims: nbf is in the future',
  ISSUED_IN_FUTURE: 'claims: iat is in the future',
  REVOKED: 'jti: denied',
} as const;

export type Rejection = (typeof Rejection)[keyof typeof Rejection];

const INVALID = 'The access token is invalid';
const EXPIRED = 'The access token expired';

/** The `InvalidToken` error for a reason; only `EXPIRED` is told apart publicly. */
export function invalidToken(reason: Rejection): InvalidToken {
  if (reason === Rejection.EXPIRED)
    return new InvalidToken(ErrorCode.TOKEN_EXPIRED, EXPIRED, { detail: reason });
  if (reason === Rejection.REVOKED)
    return new InvalidToken(ErrorCode.TOKEN_REVOKED, INVALID, { detail: reason });
  return new InvalidToken(ErrorCode.TOKEN_INVALID, INVALID, { detail: reason });
}
