import {
  DPOP_ALGORITHMS,
  ErrorCode,
  formatChallenge,
  InvalidDpopProof,
  type TesseraError,
  TooManyRequests,
  UseDpopNonce,
} from '@tessera/core';
import type { Refusal } from './verification.js';

export interface ChallengeOptions {
  readonly realm: string | undefined;
  /** RFC 9728: where clients find which authorization server to ask. */
  readonly resourceMetadataUrl: string | undefined;
  /** `DPoP` for failures of the DPoP scheme (RFC 9449 §7.1); `Bearer` otherwise. */
  readonly scheme?: 'Bearer' | 'DPoP' | undefined;
}

/**
 * The response to a refused request: its status, and a `WWW-Authenticate: Bearer`
 * challenge (RFC 6750 §3). A request with no credential at all gets a challenge with no
 * error code, as §3.1 asks.
 */
export function refusalFor(error: TesseraError, options: ChallengeOptions): Refusal {
  const missing = error.code === ErrorCode.CREDENTIALS_MISSING;
  const dpop = options.scheme === 'DPoP';
  const challenge = formatChallenge(options.scheme ?? 'Bearer', {
    realm: options.realm,
    ...(missing ? {} : { error: error.error, error_description: error.description }),
    ...(error.challenge ?? {}),
    ...(dpop ? { algs: DPOP_ALGORITHMS.join(' ') } : {}),
    resource_metadata: options.resourceMetadataUrl,
  });
  const retryAfter = error instanceof TooManyRequests ? error.retryAfterSeconds : undefined;
  // A bad proof or a missing nonce is a 400 at the token endpoint but a 401 here (RFC 9449 §7.1, §9).
  const proofError = error instanceof InvalidDpopProof || error instanceof UseDpopNonce;
  return {
    error,
    status: proofError ? 401 : error.status,
    challenge,
    ...(retryAfter === undefined ? {} : { retryAfter }),
    ...(error instanceof UseDpopNonce ? { dpopNonce: error.nonce } : {}),
  };
}
