import {
  certificateThumbprint,
  DPOP_ALGORITHMS,
  ErrorCode,
  formatChallenge,
  InsufficientScope,
  InvalidDpopProof,
  InvalidRequest,
  InvalidToken,
  parseAuthorization,
  type TesseraError,
  UseDpopNonce,
} from '@tessera/core';
import type { AccessTokenClaims, AccessTokenService } from '../services/access-tokens.js';
import type { DpopGuard } from '../services/dpop-guard.js';
import { type ClaimSource, userClaims } from '../services/user-claims.js';
import type { EndpointResponse } from './endpoint-io.js';
import { NO_STORE } from './endpoint-io.js';

export interface UserinfoEndpointDeps {
  accessTokens: AccessTokenService;
  users: { find(id: string): Promise<ClaimSource | null> };
  dpop: DpopGuard;
  /** This endpoint's own URL, which DPoP proofs must name (`htu`). */
  url: string;
}

export interface UserinfoRequest {
  readonly method: string;
  readonly authorization: string | undefined;
  readonly dpopProofs: readonly string[];
  /** The DER client certificate of the connection (or a trusted proxy's Client-Cert), if any. */
  readonly clientCertificate: Uint8Array | undefined;
  /** Whether the request also carried a token in its query or body, which is refused. */
  readonly tokenElsewhere: boolean;
}

const invalidToken = () =>
  new InvalidToken(ErrorCode.TOKEN_INVALID, 'The access token is invalid, expired or revoked.');

/**
 * The OpenID Connect UserInfo endpoint (Core §5.3): the claims of the user an access token
 * holding `openid` speaks for, as far as its scopes release them. The token is accepted in
 * the Authorization header only, as `Bearer`, or as `DPoP` with its proof (RFC 9449 §7) when
 * it is bound to a key. Failures are RFC 6750 (or RFC 9449) challenges.
 */
export function createUserinfoEndpoint(deps: UserinfoEndpointDeps) {
  return async function userinfoEndpoint(request: UserinfoRequest): Promise<EndpointResponse> {
    if (request.tokenElsewhere) {
      throw new InvalidRequest(
        ErrorCode.CREDENTIAL_IN_URL,
        'Send the access token in the Authorization header.',
      );
    }
    const parsed = request.authorization === undefined ? null : parseAuthorization(request.authorization);
    if (parsed?.scheme === 'dpop') {
      try {
        return await answer(await dpopBound(parsed.token68, request));
      } catch (error) {
        return dpopRefusal(error);
      }
    }
    if (parsed === null || parsed.scheme !== 'bearer') {
      throw new InvalidToken(ErrorCode.CREDENTIALS_MISSING, 'A Bearer access token is required.');
    }
    const claims = await deps.accessTokens.introspect(parsed.token68);
    if (claims === null) throw invalidToken();
    if (claims.cnf?.jkt !== undefined) {
      throw new InvalidToken(
        ErrorCode.TOKEN_INVALID,
        'This token is bound to a key; present it with its proof.',
      );
    }
    checkCertificateBinding(claims, request);
    return answer(claims);
  };

  async function dpopBound(token: string, request: UserinfoRequest): Promise<AccessTokenClaims> {
    if (request.dpopProofs.length === 0) {
      throw new InvalidDpopProof(ErrorCode.DPOP_REQUIRED, 'A DPoP proof is required with a DPoP token.');
    }
    // The token first: a proof is remembered (its jti) only once it proves a real binding.
    const claims = await deps.accessTokens.introspect(token);
    if (claims === null) throw invalidToken();
    const boundTo = claims.cnf?.jkt;
    if (boundTo === undefined) {
      throw new InvalidToken(
        ErrorCode.TOKEN_INVALID,
        'This token is not bound to a DPoP key; send it as Bearer.',
      );
    }
    await deps.dpop.check({
      proofs: request.dpopProofs,
      method: request.method,
      url: deps.url,
      accessToken: token,
      boundTo,
    });
    checkCertificateBinding(claims, request);
    return claims;
  }

  /** RFC 8705 §3: a certificate-bound token counts only over a connection with that certificate. */
  function checkCertificateBinding(claims: AccessTokenClaims, request: UserinfoRequest): void {
    const expected = claims.cnf?.['x5t#S256'];
    if (expected === undefined) return;
    const presented = request.clientCertificate;
    if (presented === undefined || certificateThumbprint(presented) !== expected) {
      throw new InvalidToken(
        ErrorCode.TOKEN_CERTIFICATE_MISMATCH,
        'This token is bound to a client certificate; present it over mutual TLS with that certificate.',
      );
    }
  }

  async function answer(claims: AccessTokenClaims): Promise<EndpointResponse> {
    const scopes = claims.scope.split(' ');
    if (!scopes.includes('openid')) {
      throw new InsufficientScope(ErrorCode.SCOPE_INSUFFICIENT, 'The access token lacks the openid scope.', {
        challenge: { scope: 'openid' },
      });
    }
    const user = await deps.users.find(claims.sub);
    if (user === null) throw invalidToken();
    return { status: 200, headers: NO_STORE, body: { sub: user.id, ...userClaims(user, scopes) } };
  }

  /** RFC 9449 §7.1: a `DPoP` challenge, 401 for a bad proof or token, with a nonce when one is needed. */
  function dpopRefusal(error: unknown): EndpointResponse {
    if (
      !(error instanceof InvalidDpopProof || error instanceof UseDpopNonce || error instanceof InvalidToken)
    ) {
      throw error;
    }
    const refused = error as TesseraError;
    return {
      status: 401,
      headers: {
        ...NO_STORE,
        'www-authenticate': formatChallenge('DPoP', {
          realm: 'tessera',
          error: refused.error,
          error_description: refused.description,
          algs: DPOP_ALGORITHMS.join(' '),
        }),
        ...(error instanceof UseDpopNonce ? { 'dpop-nonce': error.nonce } : {}),
      },
      body: refused.toJSON(),
    };
  }
}
