import { ErrorCode, formatChallenge, type TesseraError, TooManyRequests } from '@tessera/core';
import type { Refusal } from './verification.js';

export interface ChallengeOptions {
  readonly realm: string | undefined;
  /** RFC 9728: where clients find which authorization server to ask. */
  readonly resourceMetadataUrl: string | undefined;
}

/**
 * The response to a refused request: its status, and a `WWW-Authenticate: Bearer`
 * challenge (RFC 6750 §3). A request with no credential at all gets a challenge with no
 * error code, as §3.1 asks.
 */
export function refusalFor(error: TesseraError, options: ChallengeOptions): Refusal {
  const missing = error.code === ErrorCode.CREDENTIALS_MISSING;
  const challenge = formatChallenge('Bearer', {
    realm: options.realm,
    ...(missing ? {} : { error: error.error, error_description: error.description }),
    ...(error.challenge ?? {}),
    resource_metadata: options.resourceMetadataUrl,
  });
  const retryAfter = error instanceof TooManyRequests ? error.retryAfterSeconds : undefined;
  return { error, status: error.status, challenge, ...(retryAfter === undefined ? {} : { retryAfter }) };
}
