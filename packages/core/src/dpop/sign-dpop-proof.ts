import { constants, createHash, type KeyObject, randomUUID, sign } from 'node:crypto';
import type { DpopAlgorithm } from './dpop-proof.js';
import { normalizeHtu } from './htu.js';
import { jwkThumbprint } from './jwk-thumbprint.js';

/** A key pair a client proves possession of. */
export interface DpopKey {
  readonly alg: DpopAlgorithm;
  readonly privateKey: KeyObject;
  /** The public half as a JWK, as it goes in every proof's header. */
  readonly publicJwk: Readonly<Record<string, unknown>>;
  /** Its RFC 7638 thumbprint: the `jkt` tokens are bound to. */
  readonly jkt: string;
}

export interface DpopProofInput {
  readonly method: string;
  readonly url: string;
  readonly accessToken?: string | undefined;
  readonly nonce?: string | undefined;
  /** Seconds since the epoch. */
  readonly now?: number | undefined;
}

/** Wraps a private key for proofs; the public JWK is derived from it. */
export function dpopKey(privateKey: KeyObject, alg: DpopAlgorithm): DpopKey {
  const { kty, crv, x, y, n, e } = privateKey.export({ format: 'jwk' });
  const publicJwk = Object.fromEntries(
    Object.entries({ kty, crv, x, y, n, e }).filter(([, value]) => value !== undefined),
  );
  const jkt = jwkThumbprint(publicJwk);
  if (jkt === null) throw new TypeError('this key type cannot prove DPoP possession');
  return { alg, privateKey, publicJwk, jkt };
}

/**
 * Signs a DPoP proof (RFC 9449 §4.2) for one request.
 *
 * @example const proof = signDpopProof(key, { method: 'POST', url: 'https://as.example/token', nonce });
 */
export function signDpopProof(key: DpopKey, input: DpopProofInput): string {
  const htu = normalizeHtu(input.url);
  if (htu === null) throw new TypeError('a DPoP proof needs an absolute http(s) URL');
  const header = { typ: 'dpop+jwt', alg: key.alg, jwk: key.publicJwk };
  const payload = {
    jti: randomUUID(),
    htm: input.method,
    htu,
    iat: input.now ?? Math.floor(Date.now() / 1000),
    ...(input.accessToken === undefined
      ? {}
      : { ath: createHash('sha256').update(input.accessToken).digest('base64url') }),
    ...(input.nonce === undefined ? {} : { nonce: input.nonce }),
  };
  const signingInput = `${base64url(header)}.${base64url(payload)}`;
  return `${signingInput}.${signature(key, Buffer.from(signingInput)).toString('base64url')}`;
}

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

function signature({ alg, privateKey }: DpopKey, data: Buffer): Buffer {
  switch (alg) {
    case 'ES256':
      return sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    case 'ES384':
      return sign('sha384', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    case 'EdDSA':
      return sign(null, data, privateKey);
    case 'PS256':
      return sign('sha256', data, {
        key: privateKey,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
      });
    case 'RS256':
      return sign('sha256', data, privateKey);
  }
}
