// Builds compact JWS byte by byte, so tests can sign exactly the hostile header or
// payload they mean (duplicate members, odd types) with a real trusted key.
import { createHmac, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';

export const ISSUER = 'https://as.example';
export const AUDIENCE = 'https://api.example';

export type Signer =
  | { readonly kind: 'es256' | 'rs256' | 'ps256' | 'ed25519'; readonly privateKey: KeyObject }
  | { readonly kind: 'hmac'; readonly secret: Uint8Array | KeyObject }
  | { readonly kind: 'raw'; readonly signature: Uint8Array };

export interface TestKeys {
  readonly es256: { publicKey: KeyObject; privateKey: KeyObject };
  readonly rs256: { publicKey: KeyObject; privateKey: KeyObject };
  readonly ed25519: { publicKey: KeyObject; privateKey: KeyObject };
  readonly attackerEs256: { publicKey: KeyObject; privateKey: KeyObject };
}

let cached: TestKeys | undefined;

/** Key pairs generated once per test process (RSA generation is slow). */
export function testKeys(): TestKeys {
  cached ??= {
    es256: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
    rs256: generateKeyPairSync('rsa', { modulusLength: 2048 }),
    ed25519: generateKeyPairSync('ed25519'),
    attackerEs256: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  };
  return cached;
}

export function segment(part: string | object | Uint8Array): string {
  if (part instanceof Uint8Array) return Buffer.from(part).toString('base64url');
  return Buffer.from(typeof part === 'string' ? part : JSON.stringify(part), 'utf8').toString('base64url');
}

/** Signs `header.payload` (objects are JSON-encoded, strings taken as the raw JSON text). */
export function forge(
  header: string | object,
  payload: string | object | Uint8Array,
  signer: Signer,
): string {
  const signingInput = `${segment(header)}.${segment(payload)}`;
  return `${signingInput}.${Buffer.from(signatureOver(signingInput, signer)).toString('base64url')}`;
}

export function signatureOver(signingInput: string, signer: Signer): Uint8Array {
  const data = Buffer.from(signingInput, 'latin1');
  switch (signer.kind) {
    case 'es256':
      return sign('sha256', data, { key: signer.privateKey, dsaEncoding: 'ieee-p1363' });
    case 'rs256':
      return sign('sha256', data, signer.privateKey);
    case 'ps256':
      return sign('sha256', data, { key: signer.privateKey, padding: 6, saltLength: 32 });
    case 'ed25519':
      return sign(null, data, signer.privateKey);
    case 'hmac':
      return createHmac('sha256', signer.secret).update(data).digest();
    case 'raw':
      return signer.signature;
  }
}

/** RFC 9068 claims valid at `nowSeconds`. */
export function validClaims(
  nowSeconds: number,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'user-1',
    client_id: 'client-1',
    jti: `jti-${Math.random().toString(36).slice(2)}`,
    iat: nowSeconds - 10,
    exp: nowSeconds + 300,
    scope: 'read write',
    ...extra,
  };
}
