/**
 * The signature layer: does this key, with its own algorithm, accept this JWS? Usable on
 * its own for JWS that are not access tokens (the Wycheproof vectors are such).
 */
import { type CompactJws, createCompactJwsParser } from './compact-jws.js';
import { Rejection } from './rejection.js';
import { VerificationKey } from './verification-key.js';

/**
 * Checks the signature of a parsed JWS with `key`. The header's `alg` must equal the
 * key's exactly: the key decides the algorithm, the header can only agree.
 *
 * @example
 * ```ts
 * const parsed = parseCompactJws(token);
 * if (parsed.ok && verifyJwsSignature(parsed.value, key)) { … }
 * ```
 */
export function verifyJwsSignature(jws: CompactJws, key: VerificationKey): boolean {
  if (!VerificationKey.isVerificationKey(key) || key.alg !== jws.header.alg) return false;
  return key.verifySignature(jws.signingInput, jws.signature);
}

export type CompactJwsVerification =
  | { readonly ok: true; readonly value: CompactJws }
  | { readonly ok: false; readonly reason: Rejection };

const parse = createCompactJwsParser();

/**
 * Parses a compact JWS (default limits) and verifies it with `key`. The payload is
 * returned as bytes and never parsed.
 *
 * @example
 * ```ts
 * const result = verifyCompactJws(token, key);
 * if (result.ok) handle(result.value.payload);
 * ```
 */
export function verifyCompactJws(token: unknown, key: VerificationKey): CompactJwsVerification {
  const parsed = parse(token);
  if (!parsed.ok) return parsed;
  if (!VerificationKey.isVerificationKey(key) || key.alg !== parsed.value.header.alg) {
    return { ok: false, reason: Rejection.KEY_MISMATCH };
  }
  if (!key.verifySignature(parsed.value.signingInput, parsed.value.signature)) {
    return { ok: false, reason: Rejection.SIGNATURE };
  }
  return parsed;
}
