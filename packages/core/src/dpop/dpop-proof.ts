import { constants, createHash, createPublicKey, type KeyObject, verify } from 'node:crypto';
import { decodeBase64Url } from '../base64url.js';
import { normalizeHtu } from './htu.js';
import { jwkThumbprint } from './jwk-thumbprint.js';

/** Asymmetric algorithms a proof may use (RFC 9449 §4.2: never `none` or a MAC). */
export const DPOP_ALGORITHMS = ['ES256', 'ES384', 'EdDSA', 'PS256', 'RS256'] as const;
export type DpopAlgorithm = (typeof DPOP_ALGORITHMS)[number];
/** A proof is accepted this long after its `iat`; a replay cache keeps its `jti` as long. */
export const DPOP_PROOF_MAX_AGE_SECONDS = 300;
/** And this long before it, for clock skew. */
export const DPOP_FUTURE_SKEW_SECONDS = 5;

/** What the verifier expects of a proof. */
export interface DpopExpectations {
  /** The request's method (`htm`). */
  readonly method: string;
  /** The request's absolute URL (`htu` is compared after normalisation, without the query). */
  readonly url: string;
  /** The access token presented with the proof, whose hash `ath` must carry. */
  readonly accessToken?: string | undefined;
  /** Seconds since the epoch. */
  readonly now: number;
  /** A proof is accepted this long after its `iat` (default {@link DPOP_PROOF_MAX_AGE_SECONDS}). */
  readonly maxAgeSeconds?: number | undefined;
  /** And this far before it, for clock skew (default {@link DPOP_FUTURE_SKEW_SECONDS}). */
  readonly futureSkewSeconds?: number | undefined;
  readonly algorithms?: readonly DpopAlgorithm[] | undefined;
}

/** A proof that passed every check; replay (`jti`) and `nonce` are the caller's to judge. */
export interface DpopProof {
  /** RFC 7638 thumbprint of the proof's key: what `cnf.jkt` binds. */
  readonly jkt: string;
  readonly jti: string;
  readonly iat: number;
  readonly nonce: string | undefined;
}

/** Why a proof was refused; the text is safe to send. */
export type DpopFailure = { readonly ok: false; readonly reason: string };

const KTY_OF: Readonly<Partial<Record<string, { kty: string; crv?: string }>>> = {
  ES256: { kty: 'EC', crv: 'P-256' },
  ES384: { kty: 'EC', crv: 'P-384' },
  EdDSA: { kty: 'OKP', crv: 'Ed25519' },
  PS256: { kty: 'RSA' },
  RS256: { kty: 'RSA' },
};
const SIGNATURE_BYTES: Readonly<Partial<Record<DpopAlgorithm, number>>> = { ES256: 64, ES384: 96, EdDSA: 64 };
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const MAX_PROOF_LENGTH = 8192;
const MIN_RSA_BITS = 2048;
/** Imported proof keys by thumbprint: a client proves with one key for many requests. */
const KEY_CACHE_SIZE = 1000;
const importedKeys = new Map<string, KeyObject>();

const refuse = (reason: string): DpopFailure => ({ ok: false, reason });

/**
 * Checks a DPoP proof JWT (RFC 9449 §4.3): `typ` is `dpop+jwt`; `alg` asymmetric and allowed;
 * `jwk` a public key of the type the algorithm needs (RSA of 2048 bits or more); the
 * signature valid under it; `htm` and `htu` naming this request; `iat` recent; `jti`
 * present; and, with an access token, `ath` its SHA-256.
 *
 * @example
 * const result = verifyDpopProof(request.headers.dpop, { method: 'POST', url: 'https://as.example/token', now });
 * if (result.ok && !replayed(result.value.jti)) bindTo(result.value.jkt);
 */
export function verifyDpopProof(
  proof: string,
  expected: DpopExpectations,
): { readonly ok: true; readonly value: DpopProof } | DpopFailure {
  if (typeof proof !== 'string' || proof.length > MAX_PROOF_LENGTH)
    return refuse('The DPoP proof is malformed.');
  const parts = proof.split('.');
  if (parts.length !== 3) return refuse('The DPoP proof is not a compact JWS.');
  const [encodedHeader = '', encodedPayload = '', encodedSignature = ''] = parts;
  const header = decodeJsonObject(encodedHeader);
  const payload = decodeJsonObject(encodedPayload);
  const signature = decodeBase64Url(encodedSignature);
  if (header === null || payload === null || signature === null)
    return refuse('The DPoP proof is malformed.');

  if (header.typ !== 'dpop+jwt') return refuse('The DPoP proof must have typ dpop+jwt.');
  if (header.crit !== undefined) return refuse('The DPoP proof has critical header parameters.');
  const allowed: readonly string[] = expected.algorithms ?? DPOP_ALGORITHMS;
  const alg = header.alg;
  if (typeof alg !== 'string' || !allowed.includes(alg))
    return refuse('The DPoP proof algorithm is not allowed.');
  const jwk = header.jwk;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk))
    return refuse('The DPoP proof carries no public key.');
  const key = publicKeyOf(jwk as Record<string, unknown>, alg as DpopAlgorithm);
  if (key === null) return refuse('The DPoP proof key is not a public key fit for its algorithm.');
  const signingInput = Buffer.from(`${encodedHeader}.${encodedPayload}`);
  if (!signatureValid(alg as DpopAlgorithm, signingInput, key.object, signature))
    return refuse('The DPoP proof signature is invalid.');

  const { jti, htm, htu, iat, ath, nonce } = payload;
  if (typeof jti !== 'string' || jti === '' || jti.length > 256)
    return refuse('The DPoP proof has no valid jti.');
  if (htm !== expected.method) return refuse('The DPoP proof is for another method.');
  const expectedHtu = normalizeHtu(expected.url);
  if (typeof htu !== 'string' || expectedHtu === null || normalizeHtu(htu) !== expectedHtu)
    return refuse('The DPoP proof is for another URL.');
  if (typeof iat !== 'number' || !Number.isFinite(iat)) return refuse('The DPoP proof has no valid iat.');
  if (
    iat > expected.now + (expected.futureSkewSeconds ?? 5) ||
    iat < expected.now - (expected.maxAgeSeconds ?? 300)
  )
    return refuse('The DPoP proof is too old or from the future.');
  if (expected.accessToken !== undefined) {
    const hash = createHash('sha256').update(expected.accessToken).digest('base64url');
    if (ath !== hash) return refuse('The DPoP proof is not for this access token (ath).');
  }
  if (nonce !== undefined && typeof nonce !== 'string') return refuse('The DPoP proof nonce is malformed.');
  return { ok: true, value: { jkt: key.thumbprint, jti, iat, nonce } };
}

function decodeJsonObject(segment: string): Record<string, unknown> | null {
  const bytes = decodeBase64Url(segment);
  if (bytes === null) return null;
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

function publicKeyOf(
  jwk: Record<string, unknown>,
  alg: DpopAlgorithm,
): { object: KeyObject; thumbprint: string } | null {
  if (PRIVATE_MEMBERS.some((member) => member in jwk)) return null;
  const shape = KTY_OF[alg];
  if (shape === undefined) return null;
  if (jwk.kty !== shape.kty || (shape.crv !== undefined && jwk.crv !== shape.crv)) return null;
  const thumbprint = jwkThumbprint(jwk);
  if (thumbprint === null) return null;
  let object = importedKeys.get(thumbprint);
  if (object === undefined) {
    try {
      object = createPublicKey({ key: jwk as never, format: 'jwk' });
    } catch {
      return null;
    }
    if (shape.kty === 'RSA' && (object.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) return null;
    if (importedKeys.size >= KEY_CACHE_SIZE) importedKeys.delete(importedKeys.keys().next().value as string);
    importedKeys.set(thumbprint, object);
  }
  return { object, thumbprint };
}

function signatureValid(alg: DpopAlgorithm, data: Buffer, key: KeyObject, signature: Buffer): boolean {
  const length = SIGNATURE_BYTES[alg];
  if (length !== undefined && signature.length !== length) return false;
  try {
    switch (alg) {
      case 'ES256':
        return verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature);
      case 'ES384':
        return verify('sha384', data, { key, dsaEncoding: 'ieee-p1363' }, signature);
      case 'EdDSA':
        return verify(null, data, key, signature);
      case 'PS256':
        return verify(
          'sha256',
          data,
          { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
          signature,
        );
      case 'RS256':
        return verify('sha256', data, key, signature);
    }
  } catch {
    return false;
  }
}
