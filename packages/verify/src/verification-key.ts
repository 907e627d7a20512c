/**
 * A verification key: a `node:crypto` KeyObject bound, once and for all, to one JWS
 * algorithm. The token header never chooses how a signature is checked; the key does, and
 * the header's `alg` must merely equal the key's.
 */
import {
  createHmac,
  createSecretKey,
  constants as cryptoConstants,
  KeyObject,
  timingSafeEqual,
  verify,
  type webcrypto,
} from 'node:crypto';
import { type AlgorithmSpec, algorithmSpec, isJwsAlgorithm, type JwsAlgorithm } from './algorithms.js';

/** Smallest RSA modulus accepted (NIST SP 800-131A; RFC 7518 §3.3 requires 2048). */
export const MIN_RSA_MODULUS_BITS = 2048;
// An issuer-chosen 64k-bit modulus would make every verification a CPU sink.
const MAX_RSA_MODULUS_BITS = 16384;

export interface VerificationKeyOptions {
  /** The one algorithm this key verifies. */
  alg: JwsAlgorithm;
  /** The `kid` tokens name this key by; absent when the issuer uses none. */
  kid?: string | undefined;
}

type SignatureCheck = (signingInput: Uint8Array, signature: Uint8Array) => boolean;

const CONSTRUCT = Symbol('VerificationKey');

/** A public key (or HMAC secret) and the single algorithm it verifies. Build one with
 * {@link createVerificationKey}, {@link createHmacKey} or `importJwk`. */
export class VerificationKey {
  readonly alg: JwsAlgorithm;
  readonly kid: string | undefined;
  readonly #check: SignatureCheck;

  /** @internal Use the factories; the constructor is closed so no plain object can pose as a key. */
  constructor(token: typeof CONSTRUCT, alg: JwsAlgorithm, kid: string | undefined, check: SignatureCheck) {
    if (token !== CONSTRUCT) throw new TypeError('use createVerificationKey, createHmacKey or importJwk');
    this.alg = alg;
    this.kid = kid;
    this.#check = check;
    Object.freeze(this);
  }

  /** True only for keys built by this module (a brand check, not a shape check). */
  static isVerificationKey(value: unknown): value is VerificationKey {
    return typeof value === 'object' && value !== null && #check in value;
  }

  /**
   * Checks `signature` over `signingInput` with this key's algorithm. Never throws: a
   * malformed signature is simply not valid.
   */
  verifySignature(signingInput: Uint8Array, signature: Uint8Array): boolean {
    return this.#check(signingInput, signature);
  }
}

/**
 * Binds an asymmetric public key to one algorithm, after checking that they fit: the
 * curve for ECDSA, Ed25519 for EdDSA, an RSA key of at least 2048 bits for RS and PS.
 * Throws a `TypeError` on a mismatch or a private key: that is a configuration mistake.
 *
 * @example
 * ```ts
 * const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
 * const key = createVerificationKey(publicKey, { alg: 'ES256', kid: '2026-01' });
 * ```
 */
export function createVerificationKey(
  key: KeyObject | webcrypto.CryptoKey,
  options: VerificationKeyOptions,
): VerificationKey {
  const { alg, kid } = checkOptions(options);
  const keyObject = key instanceof KeyObject ? key : KeyObject.from(key);
  if (keyObject.type !== 'public') {
    throw new TypeError(
      keyObject.type === 'private'
        ? 'a verification key must be public: pass createPublicKey(privateKey)'
        : 'an HMAC secret goes through createHmacKey',
    );
  }
  const spec = algorithmSpec(alg);
  const type = keyObject.asymmetricKeyType;
  const details = keyObject.asymmetricKeyDetails ?? {};
  switch (spec.family) {
    case 'ecdsa':
      if (type !== 'ec' || details.namedCurve !== spec.curve) {
        throw new TypeError(`${alg} needs an EC key on ${spec.curve}`);
      }
      return new VerificationKey(CONSTRUCT, alg, kid, ecdsaCheck(keyObject, spec));
    case 'rsa-pkcs1':
    case 'rsa-pss': {
      if (type !== 'rsa') throw new TypeError(`${alg} needs an RSA key`);
      const bits = details.modulusLength ?? 0;
      if (bits < MIN_RSA_MODULUS_BITS || bits > MAX_RSA_MODULUS_BITS) {
        throw new TypeError(
          `${alg} needs an RSA modulus of ${MIN_RSA_MODULUS_BITS} to ${MAX_RSA_MODULUS_BITS} bits`,
        );
      }
      // e = 1 would make every padded digest its own signature.
      const exponent = details.publicExponent ?? 0n;
      if (exponent < 3n || exponent % 2n === 0n) throw new TypeError(`${alg} needs an odd RSA exponent >= 3`);
      return new VerificationKey(CONSTRUCT, alg, kid, rsaCheck(keyObject, spec, Math.ceil(bits / 8)));
    }
    case 'ed25519':
      if (type !== 'ed25519') throw new TypeError('EdDSA needs an Ed25519 key');
      return new VerificationKey(CONSTRUCT, alg, kid, ed25519Check(keyObject));
    case 'hmac':
      throw new TypeError(`${alg} is symmetric: use createHmacKey`);
  }
}

/**
 * Binds an HMAC secret to one HS algorithm. The secret must be at least as long as the
 * hash (32 bytes for HS256), as RFC 7518 §3.2 requires; use random secrets only.
 *
 * @example
 * ```ts
 * const key = createHmacKey(randomBytes(32), { alg: 'HS256', kid: 'internal' });
 * ```
 */
export function createHmacKey(
  secret: Uint8Array | KeyObject,
  options: VerificationKeyOptions,
): VerificationKey {
  const { alg, kid } = checkOptions(options);
  const spec = algorithmSpec(alg);
  if (spec.family !== 'hmac' || spec.hash === null || spec.signatureLength === undefined) {
    throw new TypeError(`${alg} is not an HMAC algorithm`);
  }
  let keyObject: KeyObject;
  if (secret instanceof KeyObject) {
    if (secret.type !== 'secret') throw new TypeError('an HMAC key must be a secret key, never a public key');
    keyObject = secret;
  } else if (secret instanceof Uint8Array) {
    keyObject = createSecretKey(Uint8Array.from(secret));
  } else {
    throw new TypeError('an HMAC secret must be bytes or a secret KeyObject');
  }
  if ((keyObject.symmetricKeySize ?? 0) < spec.signatureLength) {
    throw new TypeError(`${alg} needs a secret of at least ${spec.signatureLength} bytes`);
  }
  return new VerificationKey(CONSTRUCT, alg, kid, hmacCheck(keyObject, spec.hash, spec.signatureLength));
}

function checkOptions(options: VerificationKeyOptions): { alg: JwsAlgorithm; kid: string | undefined } {
  if (typeof options !== 'object' || options === null) throw new TypeError('options are required');
  if (!isJwsAlgorithm(options.alg)) throw new TypeError('options.alg must be a supported JWS algorithm');
  if (options.kid !== undefined && (typeof options.kid !== 'string' || options.kid.length === 0)) {
    throw new TypeError('options.kid must be a non-empty string');
  }
  return { alg: options.alg, kid: options.kid };
}

// Each check tests the exact length first: OpenSSL would otherwise accept an ECDSA
// signature in DER, or an RSA signature with leading zeros, or read past a short one.
function ecdsaCheck(key: KeyObject, spec: AlgorithmSpec): SignatureCheck {
  const hash = spec.hash as string;
  const length = spec.signatureLength as number;
  const verifyKey = { key, dsaEncoding: 'ieee-p1363' as const };
  return (input, signature) => signature.length === length && safeVerify(hash, input, verifyKey, signature);
}

function rsaCheck(key: KeyObject, spec: AlgorithmSpec, length: number): SignatureCheck {
  const hash = spec.hash as string;
  const verifyKey =
    spec.family === 'rsa-pss'
      ? {
          key,
          padding: cryptoConstants.RSA_PKCS1_PSS_PADDING,
          // RFC 7518 §3.5: the salt is exactly as long as the hash; "auto" would accept any.
          saltLength: cryptoConstants.RSA_PSS_SALTLEN_DIGEST,
        }
      : key; // PKCS#1 v1.5 is the default for RSA keys; a bare KeyObject takes node's fastest path.
  return (input, signature) => signature.length === length && safeVerify(hash, input, verifyKey, signature);
}

function ed25519Check(key: KeyObject): SignatureCheck {
  return (input, signature) => signature.length === 64 && safeVerify(null, input, key, signature);
}

function hmacCheck(key: KeyObject, hash: string, length: number): SignatureCheck {
  return (input, signature) => {
    if (signature.length !== length) return false;
    const expected = createHmac(hash, key).update(input).digest();
    return timingSafeEqual(expected, signature);
  };
}

function safeVerify(
  hash: string | null,
  input: Uint8Array,
  key: Parameters<typeof verify>[2],
  signature: Uint8Array,
): boolean {
  try {
    return verify(hash, input, key, signature);
  } catch {
    return false;
  }
}
