/**
 * Importing one JWK (RFC 7517) as a {@link VerificationKey}. Only public signature keys
 * come through: anything that carries private or symmetric material, is meant for
 * encryption, or does not say (or let us infer without doubt) its algorithm is refused.
 */
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { decodeBase64Url } from '@tessera/core';
import {
  ASYMMETRIC_ALGORITHMS,
  algorithmSpec,
  isJwsAlgorithm,
  type JwsAlgorithm,
  SUPPORTED_ALGORITHMS,
} from './algorithms.js';
import { createVerificationKey, type VerificationKey } from './verification-key.js';

export interface ImportJwkOptions {
  /** The algorithm to bind when the JWK has no `alg`; if it has one, both must agree. */
  alg?: JwsAlgorithm | undefined;
  /** Algorithms the caller accepts; a key bound to another one is refused. Default: every asymmetric one. */
  algorithms?: readonly JwsAlgorithm[] | undefined;
}

export type JwkImportResult =
  | { readonly ok: true; readonly key: VerificationKey }
  | { readonly ok: false; readonly reason: string };

// RFC 7518 §6.2.2, §6.3.2 and RFC 8037 §2: members that only private or secret keys have.
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

const RSA_ALGORITHMS = SUPPORTED_ALGORITHMS.filter((alg) => {
  const family = algorithmSpec(alg).family;
  return family === 'rsa-pkcs1' || family === 'rsa-pss';
});

const CURVES: Readonly<Record<string, { alg: JwsAlgorithm; bytes: number }>> = {
  'P-256': { alg: 'ES256', bytes: 32 },
  'P-384': { alg: 'ES384', bytes: 48 },
  'P-521': { alg: 'ES512', bytes: 66 },
};

/**
 * Imports a public JWK for signature verification, returning the key or the reason it is
 * not usable. Never throws on a hostile or malformed JWK.
 *
 * Refused: `kty` other than `EC`, `RSA` or `OKP` (Ed25519); any private member (`d`, `p`,
 * …) or a symmetric `k`; `use` other than `sig`; `key_ops` without `verify`; an `alg`
 * that does not fit the key or is not allowed; non-canonical base64url members; RSA below
 * 2048 bits. An RSA key without `alg` is refused unless `options.alg` names one or
 * `options.algorithms` allows exactly one RSA algorithm; an EC or Ed25519 key without
 * `alg` gets the one its curve implies.
 *
 * @example
 * ```ts
 * const imported = importJwk({ kty: 'EC', crv: 'P-256', x, y, alg: 'ES256', kid: 'k1' });
 * if (imported.ok) keys.push(imported.key);
 * ```
 */
export function importJwk(jwk: unknown, options: ImportJwkOptions = {}): JwkImportResult {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) return refuse('not a JSON object');
  const members = jwk as Record<string, unknown>;
  const kty = members.kty;
  if (kty === 'oct') return refuse('symmetric key (use createHmacKey)');
  if (kty !== 'EC' && kty !== 'RSA' && kty !== 'OKP') return refuse('unsupported kty');
  for (const name of PRIVATE_MEMBERS) {
    if (Object.hasOwn(members, name)) return refuse('private key material');
  }
  if (Object.hasOwn(members, 'use') && members.use !== 'sig') return refuse('use is not sig');
  if (Object.hasOwn(members, 'key_ops') && !allowsVerify(members.key_ops))
    return refuse('key_ops without verify');
  const kid = members.kid;
  if (kid !== undefined && (typeof kid !== 'string' || kid.length === 0))
    return refuse('kid is not a string');
  const jwkAlg = members.alg;
  if (jwkAlg !== undefined && !isJwsAlgorithm(jwkAlg)) return refuse('unsupported alg');
  if (jwkAlg !== undefined && options.alg !== undefined && jwkAlg !== options.alg)
    return refuse('alg mismatch');
  const allowed = options.algorithms ?? ASYMMETRIC_ALGORITHMS;

  let publicJwk: JsonWebKey;
  let candidates: readonly JwsAlgorithm[];
  if (kty === 'EC') {
    const curve = typeof members.crv === 'string' ? CURVES[members.crv] : undefined;
    if (curve === undefined) return refuse('unsupported crv');
    const x = fixedLength(members.x, curve.bytes);
    const y = fixedLength(members.y, curve.bytes);
    if (x === undefined || y === undefined) return refuse('bad EC coordinates');
    publicJwk = { kty, crv: members.crv as string, x, y };
    candidates = [curve.alg];
  } else if (kty === 'OKP') {
    if (members.crv !== 'Ed25519') return refuse('unsupported crv');
    const x = fixedLength(members.x, 32);
    if (x === undefined) return refuse('bad Ed25519 key');
    publicJwk = { kty, crv: 'Ed25519', x };
    candidates = ['EdDSA'];
  } else {
    const n = minimalInteger(members.n);
    const e = minimalInteger(members.e);
    if (n === undefined || e === undefined) return refuse('bad RSA members');
    publicJwk = { kty, n, e };
    candidates = RSA_ALGORITHMS;
  }

  const wanted = jwkAlg ?? options.alg;
  let alg: JwsAlgorithm;
  if (wanted !== undefined) {
    if (!candidates.includes(wanted)) return refuse('alg does not fit the key');
    alg = wanted;
  } else {
    // Without `alg`, an RSA key could be read as RS256 or PS256 (or RS512…): guess only
    // when the allow-list leaves one choice.
    const [only, ...others] = candidates.filter((candidate) => allowed.includes(candidate));
    if (only === undefined || others.length > 0) return refuse('alg absent and ambiguous');
    alg = only;
  }
  if (!allowed.includes(alg)) return refuse('alg not allowed');

  try {
    const keyObject = createPublicKey({ key: publicJwk, format: 'jwk' });
    return { ok: true, key: createVerificationKey(keyObject, { alg, kid: kid as string | undefined }) };
  } catch (error) {
    return refuse(error instanceof TypeError ? error.message : 'key rejected by node:crypto');
  }
}

function refuse(reason: string): JwkImportResult {
  return { ok: false, reason };
}

function allowsVerify(keyOps: unknown): boolean {
  if (!Array.isArray(keyOps) || !keyOps.every((op) => typeof op === 'string')) return false;
  // RFC 7517 §4.3: duplicate values MUST NOT be present.
  return keyOps.includes('verify') && new Set(keyOps).size === keyOps.length;
}

function fixedLength(value: unknown, bytes: number): string | undefined {
  if (typeof value !== 'string') return undefined;
  const decoded = decodeBase64Url(value);
  return decoded !== null && decoded.length === bytes ? value : undefined;
}

// RFC 7518 §6.3.1: n and e use the minimum number of octets, so no leading zero byte.
function minimalInteger(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const decoded = decodeBase64Url(value);
  return decoded !== null && decoded.length > 0 && decoded[0] !== 0 ? value : undefined;
}
