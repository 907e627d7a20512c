import {
  DPOP_FUTURE_SKEW_SECONDS,
  DPOP_PROOF_MAX_AGE_SECONDS,
  type DpopNonces,
  ErrorCode,
  InvalidDpopProof,
  InvalidRequest,
  InvalidToken,
  UseDpopNonce,
  verifyDpopProof,
} from '@tessera/core';
import type { EphemeralStore } from '../store/ephemeral-store.js';

export interface DpopRequest {
  /** Every `DPoP` header value the request carried. */
  readonly proofs: readonly string[];
  readonly method: string;
  readonly url: string;
  readonly accessToken?: string | undefined;
  /** The key the presented token is bound to: a proof by another key is refused before its `jti` is kept. */
  readonly boundTo?: string | undefined;
}

/**
 * Checks DPoP proofs at the authorization server (RFC 9449): the proof itself, a nonce this
 * server issued (every proof must carry one: §8), and that its `jti` was never seen.
 * Failures are the RFC's `invalid_dpop_proof` and `use_dpop_nonce` errors.
 */
export class DpopGuard {
  constructor(
    private readonly nonces: DpopNonces,
    private readonly replayCache: EphemeralStore,
    private readonly now: () => number,
  ) {}

  /** The nonce clients should use next, for the `DPoP-Nonce` response header. */
  currentNonce(): string {
    return this.nonces.current(this.now());
  }

  /** The proof's key thumbprint; undefined when the request carried no proof. */
  async check(request: DpopRequest): Promise<string | undefined> {
    const [proof, ...more] = request.proofs;
    if (proof === undefined) return undefined;
    if (more.length > 0) throw new InvalidRequest(ErrorCode.DPOP_PROOF_INVALID, 'Send one DPoP header.');
    const now = this.now();
    const result = verifyDpopProof(proof, {
      method: request.method,
      url: request.url,
      accessToken: request.accessToken,
      now,
      maxAgeSeconds: DPOP_PROOF_MAX_AGE_SECONDS,
      futureSkewSeconds: DPOP_FUTURE_SKEW_SECONDS,
    });
    if (!result.ok) throw new InvalidDpopProof(ErrorCode.DPOP_PROOF_INVALID, result.reason);
    if (request.boundTo !== undefined && result.value.jkt !== request.boundTo) {
      throw new InvalidToken(
        ErrorCode.DPOP_KEY_MISMATCH,
        'The DPoP proof is not made with the key the token is bound to.',
      );
    }
    if (!this.nonces.isValid(result.value.nonce, now)) {
      throw new UseDpopNonce(
        ErrorCode.DPOP_NONCE_REQUIRED,
        'Send the DPoP proof again with the nonce in the DPoP-Nonce header.',
        this.nonces.current(now),
      );
    }
    const fresh = await this.replayCache.setIfAbsent(
      `dpop:${result.value.jkt}:${result.value.jti}`,
      DPOP_PROOF_MAX_AGE_SECONDS + DPOP_FUTURE_SKEW_SECONDS,
    );
    if (!fresh) throw new InvalidDpopProof(ErrorCode.DPOP_PROOF_REPLAYED, 'The DPoP proof was already used.');
    return result.value.jkt;
  }
}
