import { ErrorCode, InvalidDpopProof, InvalidGrant, InvalidScope, parseScope } from '@tessera/core';
import type { ClientRecord } from '../../store/client-store.js';
import { confirmationOf } from '../access-tokens.js';
import type { GrantService } from '../grants.js';
import type { UserTokenIssuer, UserTokens } from './user-tokens.js';

export interface RefreshTokenRequest {
  readonly refreshToken: string;
  /** A narrower scope for the new access token (RFC 6749 §6). */
  readonly scope: string | undefined;
  /** The thumbprint of the DPoP proof's key, when the request carried one. */
  readonly dpopJkt: string | undefined;
  /** The `x5t#S256` of the certificate the client authenticated with (RFC 8705 §3). */
  readonly certificateThumbprint?: string | undefined;
}

const invalidRefresh = (detail: string) =>
  new InvalidGrant(ErrorCode.GRANT_INVALID, 'The refresh token is invalid, expired or revoked.', { detail });

/**
 * The refresh token grant (RFC 6749 §6) with rotation (RFC 9700 §4.14.2): each use spends
 * the token and returns its successor. A spent token presented again means two parties hold
 * it, so the whole grant is revoked; a client may opt into a short grace period in which
 * the retry gets the same successor instead.
 */
export class RefreshTokenGrant {
  constructor(
    private readonly grants: GrantService,
    private readonly issuer: UserTokenIssuer,
    private readonly now: () => number,
  ) {}

  async handle(client: ClientRecord, request: RefreshTokenRequest): Promise<UserTokens> {
    const token = await this.grants.findRefreshToken(request.refreshToken);
    if (token === null) throw invalidRefresh('unknown refresh token');
    const grant = await this.grants.findById(token.grantId);
    if (grant === null) throw invalidRefresh('the grant is gone');
    if (grant.clientId !== client.id)
      throw invalidRefresh(`token of ${grant.clientId} presented by ${client.id}`);
    if (grant.revokedAt !== null) throw invalidRefresh('the grant was revoked');
    if (grant.dpopJkt !== null && request.dpopJkt !== grant.dpopJkt) {
      throw new InvalidDpopProof(
        ErrorCode.DPOP_KEY_MISMATCH,
        'This refresh token is bound to a DPoP key: prove possession of that key.',
      );
    }
    const now = this.now();
    const confirmation = confirmationOf(request.dpopJkt, request.certificateThumbprint);
    const scopes = this.narrowed(grant.scopes, request.scope);
    const successor = this.issuer.successorOf(request.refreshToken);
    if (token.rotatedAt !== null) {
      const grace = client.refreshTokenGrace;
      if (grace !== null && now - token.rotatedAt <= grace) {
        return this.issuer.issue(client, grant, scopes, successor, undefined, confirmation);
      }
      return this.reused(grant.id);
    }
    if (token.expiresAt <= now || grant.expiresAt <= now) throw invalidRefresh('refresh token expired');
    if (!(await this.grants.rotateRefreshToken(grant, token, successor))) {
      // Another request spent it a moment ago: within a grace period that is the same client.
      const grace = client.refreshTokenGrace;
      if (grace !== null) return this.issuer.issue(client, grant, scopes, successor, undefined, confirmation);
      return this.reused(grant.id);
    }
    return this.issuer.issue(client, grant, scopes, successor, undefined, confirmation);
  }

  private narrowed(granted: readonly string[], scope: string | undefined): readonly string[] {
    if (scope === undefined) return granted;
    const requested = parseScope(scope);
    if (requested === null)
      throw new InvalidScope(ErrorCode.PARAM_INVALID, 'The scope parameter is malformed.');
    if (!requested.every((name) => granted.includes(name))) {
      throw new InvalidScope(ErrorCode.SCOPE_NOT_ALLOWED, 'The requested scope exceeds what was granted.');
    }
    return requested;
  }

  private async reused(grantId: string): Promise<never> {
    await this.grants.revoke(grantId);
    throw new InvalidGrant(
      ErrorCode.GRANT_REUSED,
      'The refresh token was already used; the grant and every token issued under it are revoked.',
    );
  }
}
