/**
 * The protected header of a compact JWS, decoded and checked before any key is looked up
 * or any signature computed.
 */
import { isUtf8 } from 'node:buffer';
import { decodeBase64Url } from '@tessera/core';
import { isJwsAlgorithm, type JwsAlgorithm } from './algorithms.js';
import { deepFreeze } from './deep-freeze.js';
import { Rejection } from './rejection.js';
import { INVALID_JSON, parseStrictJson } from './strict-json.js';

export interface JwsHeader {
  readonly alg: JwsAlgorithm;
  readonly kid: string | undefined;
  readonly typ: string | undefined;
  readonly cty: string | undefined;
  /** Every member as sent (frozen, null prototype), for callers that read others. */
  readonly members: Readonly<Record<string, unknown>>;
}

export type JwsHeaderResult =
  | { readonly ok: true; readonly header: JwsHeader }
  | { readonly ok: false; readonly reason: Rejection };

/** Longest `kid` accepted. */
export const MAX_KID_LENGTH = 128;

// `kid` is only ever a map key here, but it also reaches logs and other people's code:
// no quotes, spaces, pipes, semicolons, backslashes or control characters.
const KID = /^[A-Za-z0-9._~:@+/=-]+$/;
// typ and cty are media types: printable ASCII only.
const PRINTABLE = /^[\x20-\x7e]+$/;

// Members whose only use would be to let the token name its own key or a URL to fetch
// one from. Keys come from the configured key source, so their presence means a
// confused or hostile sender: refused rather than ignored.
const KEY_CARRYING = ['jku', 'jwk', 'x5u', 'x5c'] as const;

/**
 * Decodes and checks a protected header segment. Refuses: non-canonical base64url,
 * invalid UTF-8, anything but a strict JSON object (duplicate members refused), `alg`
 * absent, `none` in any case, or not exactly a supported name, `crit` (we understand no
 * extension), `b64` (RFC 7797), `jku`/`jwk`/`x5u`/`x5c`, a `kid` that is not 1–128 of
 * `[A-Za-z0-9._~:@+/=-]`, and a `typ` or `cty` that is not printable ASCII.
 *
 * @example
 * ```ts
 * parseJwsHeader('eyJhbGciOiJFUzI1NiJ9'); // { ok: true, header: { alg: 'ES256', … } }
 * ```
 */
export function parseJwsHeader(segment: string): JwsHeaderResult {
  const bytes = decodeBase64Url(segment);
  if (bytes === null) return { ok: false, reason: Rejection.ENCODING };
  // RFC 7515 §4: UTF-8, and `toString` would silently replace a bad sequence.
  if (!isUtf8(bytes)) return { ok: false, reason: Rejection.HEADER_JSON };
  const parsed = parseStrictJson(bytes.toString('utf8'));
  if (parsed === INVALID_JSON || typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, reason: Rejection.HEADER_JSON };
  }
  const members = parsed as Record<string, unknown>;
  const alg = members.alg;
  if (typeof alg === 'string' && alg.toLowerCase() === 'none')
    return { ok: false, reason: Rejection.ALG_NONE };
  if (!isJwsAlgorithm(alg)) return { ok: false, reason: Rejection.ALG_UNSUPPORTED };
  if ('crit' in members) return { ok: false, reason: Rejection.CRIT };
  if ('b64' in members) return { ok: false, reason: Rejection.B64 };
  for (const name of KEY_CARRYING) {
    if (name in members) return { ok: false, reason: Rejection.KEY_IN_HEADER };
  }
  const { kid, typ, cty } = members;
  if (kid !== undefined && (typeof kid !== 'string' || kid.length > MAX_KID_LENGTH || !KID.test(kid))) {
    return { ok: false, reason: Rejection.KID };
  }
  if (typ !== undefined && (typeof typ !== 'string' || !PRINTABLE.test(typ))) {
    return { ok: false, reason: Rejection.TYP_MALFORMED };
  }
  if (cty !== undefined && (typeof cty !== 'string' || !PRINTABLE.test(cty))) {
    return { ok: false, reason: Rejection.CTY_MALFORMED };
  }
  return {
    ok: true,
    header: Object.freeze({
      alg,
      kid: kid as string | undefined,
      typ: typ as string | undefined,
      cty: cty as string | undefined,
      members: deepFreeze(members),
    }),
  };
}
