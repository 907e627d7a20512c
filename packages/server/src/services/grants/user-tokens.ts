import { createHmac } from 'node:crypto';
import { ErrorCode, InvalidGrant } from '@tessera/core';
import type { ClientRecord } from '../../store/client-store.js';
import type { GrantRecord } from '../../store/grant-store.js';
import type { AccessTokenService, Confirmation } from '../access-tokens.js';
import { OFFLINE_ACCESS } from '../authorization-request.js';
import type { GrantService } from '../grants.js';
import type { IdTokenService } from '../id-tokens.js';
import { SecretKind, type SecretMinter } from '../minted-secret.js';
import type { ResourceServerService } from '../resource-servers.js';
import { type ClaimSource, userClaims } from '../user-claims.js';

/** What the token endpoint returns for a user's grant. */
export interface UserTokens {
  readonly accessToken: string;
  readonly expiresIn: number;
  readonly scope: string;
  readonly refreshToken: string | undefined;
  readonly idToken: string | undefined;
  readonly tokenType: 'Bearer' | 'DPoP';
}

export interface UserTokenIssuerOptions {
  readonly accessTokens: AccessTokenService;
  readonly idTokens: IdTokenService;
  readonly grants: GrantService;
  readonly resourceServers: ResourceServerService;
  readonly users: { find(id: string): Promise<ClaimSource | null> };
  readonly minter: SecretMinter;
  /** Derives each refresh token's successor from the token itself (see `successorOf`). */
  readonly successorKey: Buffer;
}

/** Issues the access, ID and refresh tokens of a user's grant. */
export class UserTokenIssuer {
  constructor(private readonly options: UserTokenIssuerOptions) {}

  /**
   * Issues an access token for `scopes` (the grant's, or fewer), an ID token when `openid`
   * was granted, and passes `refreshToken` through: the caller decides whether there is one.
   */
  async issue(
    client: ClientRecord,
    grant: GrantRecord,
    scopes: readonly string[],
    refreshToken: string | undefined,
    nonce: string | undefined,
    /** What the access token is bound to: the request's DPoP key, the client's certificate. */
    confirmation: Confirmation | undefined,
  ): Promise<UserTokens> {
    const { accessTokens, grants, resourceServers, users } = this.options;
    const api = await resourceServers.findByAudience(grant.audience);
    const issued = await accessTokens.issue({
      client,
      subject: grant.userId,
      audience: grant.audience,
      scopes,
      api,
      confirmation,
    });
    await grants.recordAccessToken(grant, issued.jti, issued.expiresAt);
    // A concurrent reuse may have revoked the grant before this token was recorded, and so
    // missed it: look again now that it is on record, and revoke it too.
    if (await grants.isRevoked(grant.id)) {
      await grants.revokeAccessToken(issued.jti, issued.expiresAt);
      throw new InvalidGrant(ErrorCode.GRANT_REUSED, 'The grant was revoked while this request ran.');
    }
    let idToken: string | undefined;
    if (scopes.includes('openid')) {
      const user = await users.find(grant.userId);
      idToken = this.options.idTokens.sign({
        subject: grant.userId,
        clientId: client.id,
        authTime: grant.authTime,
        nonce,
        sessionId: grant.sessionId ?? undefined,
        accessToken: issued.accessToken,
        claims: user === null ? {} : userClaims(user, scopes),
      });
    }
    return {
      accessToken: issued.accessToken,
      expiresIn: issued.expiresIn,
      scope: issued.scope,
      refreshToken,
      idToken,
      tokenType: confirmation?.jkt === undefined ? 'Bearer' : 'DPoP',
    };
  }

  /** Whether the grant earns refresh tokens: the client may use them and, for OIDC, asked for offline_access. */
  refreshable(client: ClientRecord, grant: GrantRecord): boolean {
    if (!client.grantTypes.includes('refresh_token')) return false;
    return !grant.scopes.includes('openid') || grant.scopes.includes(OFFLINE_ACCESS);
  }

  newRefreshToken(): string {
    return this.options.minter.mint(SecretKind.refreshToken);
  }

  /**
   * The successor of a refresh token is derived from it under a server key: the same token
   * always rotates to the same successor, so within a grace period a retried refresh can be
   * answered with it without storing any token in the clear.
   */
  successorOf(refreshToken: string): string {
    const seed = createHmac('sha256', this.options.successorKey).update(refreshToken).digest();
    return this.options.minter.mintFromSeed(SecretKind.refreshToken, seed);
  }
}
