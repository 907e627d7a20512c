/**
 * The JWS algorithms the verifier knows (RFC 7518 §3, RFC 8037 for EdDSA), and what each
 * one demands of its key and signature. `none` is not one of them and never will be.
 */

export type JwsAlgorithm =
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'EdDSA'
  | 'HS256'
  | 'HS384'
  | 'HS512';

export type AlgorithmFamily = 'ecdsa' | 'rsa-pkcs1' | 'rsa-pss' | 'ed25519' | 'hmac';

export interface AlgorithmSpec {
  readonly family: AlgorithmFamily;
  /** The `node:crypto` digest name; `null` for Ed25519, which hashes internally. */
  readonly hash: 'sha256' | 'sha384' | 'sha512' | null;
  /** OpenSSL curve name for ECDSA. */
  readonly curve?: 'prime256v1' | 'secp384r1' | 'secp521r1';
  /** Fixed signature length in bytes; RSA signatures are as long as the modulus. */
  readonly signatureLength?: number;
}

const SPECS: Readonly<Record<JwsAlgorithm, AlgorithmSpec>> = {
  ES256: { family: 'ecdsa', hash: 'sha256', curve: 'prime256v1', signatureLength: 64 },
  ES384: { family: 'ecdsa', hash: 'sha384', curve: 'secp384r1', signatureLength: 96 },
  ES512: { family: 'ecdsa', hash: 'sha512', curve: 'secp521r1', signatureLength: 132 },
  RS256: { family: 'rsa-pkcs1', hash: 'sha256' },
  RS384: { family: 'rsa-pkcs1', hash: 'sha384' },
  RS512: { family: 'rsa-pkcs1', hash: 'sha512' },
  PS256: { family: 'rsa-pss', hash: 'sha256' },
  PS384: { family: 'rsa-pss', hash: 'sha384' },
  PS512: { family: 'rsa-pss', hash: 'sha512' },
  EdDSA: { family: 'ed25519', hash: null, signatureLength: 64 },
  // RFC 7518 §3.2: the secret is at least as long as the hash output.
  HS256: { family: 'hmac', hash: 'sha256', signatureLength: 32 },
  HS384: { family: 'hmac', hash: 'sha384', signatureLength: 48 },
  HS512: { family: 'hmac', hash: 'sha512', signatureLength: 64 },
};

/** Every supported algorithm, asymmetric ones first. */
export const SUPPORTED_ALGORITHMS: readonly JwsAlgorithm[] = Object.freeze(
  Object.keys(SPECS) as JwsAlgorithm[],
);

/** The default allow-list of the verifier: every asymmetric algorithm, no HMAC. */
export const ASYMMETRIC_ALGORITHMS: readonly JwsAlgorithm[] = Object.freeze(
  SUPPORTED_ALGORITHMS.filter((alg) => SPECS[alg].family !== 'hmac'),
);

/**
 * Tells whether a value is exactly (case included) the name of a supported algorithm.
 *
 * @example
 * ```ts
 * isJwsAlgorithm('ES256'); // true
 * isJwsAlgorithm('none');  // false
 * isJwsAlgorithm('es256'); // false
 * ```
 */
export function isJwsAlgorithm(value: unknown): value is JwsAlgorithm {
  return typeof value === 'string' && Object.hasOwn(SPECS, value);
}

/**
 * The requirements of one algorithm.
 *
 * @example
 * ```ts
 * algorithmSpec('ES256'); // { family: 'ecdsa', hash: 'sha256', curve: 'prime256v1', signatureLength: 64 }
 * ```
 */
export function algorithmSpec(alg: JwsAlgorithm): AlgorithmSpec {
  return SPECS[alg];
}
