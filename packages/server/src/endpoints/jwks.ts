import type { SigningKeyService } from '../services/signing-keys.js';
import type { EndpointResponse } from './endpoint-io.js';

/**
 * The public signing keys. Verifiers may cache them for `maxAgeSeconds`; a new key is
 * published at least that long before it signs (`tessera keys rotate --activate-in`).
 */
export function createJwksEndpoint(signingKeys: SigningKeyService, maxAgeSeconds: number) {
  return async function jwksEndpoint(): Promise<EndpointResponse> {
    return {
      status: 200,
      headers: { 'cache-control': `public, max-age=${maxAgeSeconds}` },
      body: signingKeys.jwks(),
    };
  };
}
