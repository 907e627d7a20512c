import {
  DPOP_FUTURE_SKEW_SECONDS,
  DPOP_PROOF_MAX_AGE_SECONDS,
  type DpopNonces,
  ErrorCode,
  InvalidDpopProof,
  InvalidRequest,
  InvalidToken,
  parseAuthorization,
  type TesseraError,
  UseDpopNonce,
  verifyDpopProof,
} from '@tessera/core';
import type { AccessTokenCheck } from './access-token-check.js';
import { authorizationScheme, headerCount, headerValue } from './bearer-token.js';
import { certificateBindingError } from './certificate-binding.js';
import type { ReplayCache } from './replay-cache.js';
import type { Identity, Scheme, VerifyRequest } from './verification.js';

export interface DpopSchemeOptions {
  readonly check: AccessTokenCheck;
  /** Nonces this resource server hands out and requires (RFC 9449 §9); none when undefined. */
  readonly nonces: DpopNonces | undefined;
  readonly replays: ReplayCache;
  /** The origin clients address (`https://api.example`), for `htu`; else the request's own. */
  readonly origin: string | undefined;
  /** Seconds since the epoch. */
  readonly now: () => number;
}

type Checked = { ok: true; identity: Identity } | { ok: false; error: TesseraError };

const badProof = (description: string, code: ErrorCode = ErrorCode.DPOP_PROOF_INVALID): Checked => ({
  ok: false,
  error: new InvalidDpopProof(code, description),
});
const badToken = (description: string, code: ErrorCode = ErrorCode.TOKEN_INVALID): Checked => ({
  ok: false,
  error: new InvalidToken(code, description),
});

/**
 * `Authorization: DPoP <token>` with a `DPoP` proof header (RFC 9449 §7): the proof names
 * this request and this token (`ath`), is fresh, unseen, carries our nonce when nonces are
 * on, and is signed by the key the token is bound to (`cnf.jkt`).
 */
export function createDpopScheme(options: DpopSchemeOptions): Scheme {
  return {
    name: 'dpop',
    presents: (request) => authorizationScheme(request) === 'dpop',
    async verify(request: VerifyRequest): Promise<Checked> {
      const parsed = parseAuthorization(headerValue(request, 'authorization') ?? '');
      if (parsed === null || parsed.scheme !== 'dpop') return badToken('The access token is malformed.');
      const token = parsed.token68;
      const proofs = headerCount(request, 'dpop');
      if (proofs !== 1) {
        return proofs === 0
          ? badProof('A DPoP proof is required with a DPoP token.', ErrorCode.DPOP_REQUIRED)
          : { ok: false, error: new InvalidRequest(ErrorCode.DPOP_PROOF_INVALID, 'Send one DPoP header.') };
      }
      const now = options.now();
      const proof = verifyDpopProof(headerValue(request, 'dpop') ?? '', {
        method: request.method,
        url: requestUrl(request, options.origin),
        accessToken: token,
        now,
        maxAgeSeconds: DPOP_PROOF_MAX_AGE_SECONDS,
        futureSkewSeconds: DPOP_FUTURE_SKEW_SECONDS,
      });
      if (!proof.ok) return badProof(proof.reason);
      const { jkt, jti, iat, nonce } = proof.value;
      if (options.nonces !== undefined && !options.nonces.isValid(nonce, now)) {
        const error = new UseDpopNonce(
          ErrorCode.DPOP_NONCE_REQUIRED,
          'Send the DPoP proof again with the nonce in the DPoP-Nonce header.',
          options.nonces.current(now),
        );
        return { ok: false, error };
      }
      const checked = await options.check(token);
      if (!checked.ok) return checked;
      const { subject, clientId, scopes, claims } = checked.value;
      if ((claims.cnf as { jkt?: unknown } | undefined)?.jkt !== jkt) {
        return badToken(
          'The access token is not bound to the key of the DPoP proof.',
          ErrorCode.DPOP_KEY_MISMATCH,
        );
      }
      // RFC 8705 §3: a token bound to a certificate as well counts only over that certificate.
      const unbound = certificateBindingError(claims.cnf, request);
      if (unbound !== undefined) return { ok: false, error: unbound };
      // Only a proof by the token's own key is remembered: junk proofs cannot fill the cache.
      const rememberUntil =
        (Math.max(iat, now) + DPOP_PROOF_MAX_AGE_SECONDS + DPOP_FUTURE_SKEW_SECONDS) * 1000;
      if (options.replays.seen(`${jkt}:${jti}`, rememberUntil)) {
        return badProof('The DPoP proof was already used.', ErrorCode.DPOP_PROOF_REPLAYED);
      }
      return {
        ok: true,
        identity: { subject, clientId, scopes, scheme: 'dpop', claims, confirmation: { jkt } },
      };
    },
  };
}

/** The absolute URL a proof must name: the configured origin, else the Host the request was sent to. */
function requestUrl(request: VerifyRequest, origin: string | undefined): string {
  const path = request.url.split('?', 1)[0] ?? '/';
  const base = origin ?? request.origin ?? `https://${headerValue(request, 'host') ?? ''}`;
  return `${base.replace(/\/$/, '')}${path}`;
}
