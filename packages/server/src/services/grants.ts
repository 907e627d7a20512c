import type { ClientRecord } from '../store/client-store.js';
import type { GrantRecord, GrantStore, RefreshTokenRecord } from '../store/grant-store.js';
import type { AuthorizationRequest } from './authorization-request.js';
import { newIdentifier } from './identifiers.js';
import { SecretKind, type SecretMinter } from './minted-secret.js';
import type { Revocations } from './revocations.js';

/** An authorization code is exchanged within this long or never (RFC 6749 §4.1.2: short). */
export const CODE_TTL_SECONDS = 60;
/** A refresh token unused for this long dies; every rotation starts the period again. */
export const REFRESH_IDLE_SECONDS = 14 * 86400;
/** No refresh token of a grant lives past this, however often it is rotated. */
export const REFRESH_ABSOLUTE_SECONDS = 90 * 86400;

export interface GrantServiceOptions {
  readonly store: GrantStore;
  readonly revocations: Revocations;
  readonly minter: SecretMinter;
  readonly now: () => number;
  /** The longest an access token may live: a grant without refresh tokens is kept that long. */
  readonly maxAccessTokenTtl: number;
}

/**
 * Grants: what a user authorized a client to do, from the code through every refresh token
 * and access token issued under it. Revoking a grant (code reuse, refresh token reuse, the
 * user withdrawing consent, logout) ends them all.
 */
export class GrantService {
  constructor(private readonly options: GrantServiceOptions) {}

  /** Records the grant a user just approved; returns its authorization code. */
  async issueCode(
    request: AuthorizationRequest,
    client: ClientRecord,
    session: { readonly id: string; readonly userId: string; readonly authTime: number },
  ): Promise<string> {
    const { minter } = this.options;
    const now = this.options.now();
    const code = minter.mint(SecretKind.authorizationCode);
    const refreshable = client.grantTypes.includes('refresh_token');
    await this.options.store.insert({
      id: newIdentifier('grt'),
      userId: session.userId,
      clientId: client.id,
      scopes: request.scopes,
      audience: request.audience,
      redirectUri: request.redirectUriSent ? request.redirectUri : null,
      codeHash: minter.hash(code),
      codeChallenge: request.codeChallenge,
      codeExpiresAt: now + CODE_TTL_SECONDS,
      codeUsedAt: null,
      nonce: request.nonce ?? null,
      authTime: session.authTime,
      sessionId: session.id,
      createdAt: now,
      expiresAt:
        now + (refreshable ? REFRESH_ABSOLUTE_SECONDS : CODE_TTL_SECONDS + this.options.maxAccessTokenTtl),
      revokedAt: null,
      dpopJkt: request.dpopJkt ?? null,
    });
    return code;
  }

  /** The grant a code belongs to, whatever its state; null for a code we did not mint. */
  async findByCode(code: string): Promise<GrantRecord | null> {
    const { minter } = this.options;
    if (!minter.isAuthentic(code, SecretKind.authorizationCode)) return null;
    return this.options.store.findByCodeHash(minter.hash(code));
  }

  findById(id: string): Promise<GrantRecord | null> {
    return this.options.store.findById(id);
  }

  consumeCode(grant: GrantRecord): Promise<boolean> {
    return this.options.store.consumeCode(grant.id, this.options.now());
  }

  /** The stored record of a refresh token; null for one we did not mint or no longer keep. */
  async findRefreshToken(token: string): Promise<RefreshTokenRecord | null> {
    const { minter } = this.options;
    if (!minter.isAuthentic(token, SecretKind.refreshToken)) return null;
    return this.options.store.findRefreshToken(minter.hash(token));
  }

  /**
   * RFC 7009 for a refresh token: revokes its whole grant (§2.1: the access tokens too).
   * Null when `token` is not a refresh token at all.
   */
  async revokeByRefreshToken(
    token: string,
    clientId: string,
  ): Promise<'revoked' | 'unknown' | 'not-owner' | null> {
    if (!this.options.minter.isAuthentic(token, SecretKind.refreshToken)) return null;
    const found = await this.liveRefreshToken(token);
    if (found === null) return 'unknown';
    if (found.grant.clientId !== clientId) return 'not-owner';
    await this.revoke(found.grant.id);
    return 'revoked';
  }

  /** A refresh token that can still be used, and its grant; null for anything else. */
  async liveRefreshToken(token: string): Promise<{ token: RefreshTokenRecord; grant: GrantRecord } | null> {
    const record = await this.findRefreshToken(token);
    if (record === null) return null;
    const grant = await this.options.store.findById(record.grantId);
    const now = this.options.now();
    if (grant === null || grant.revokedAt !== null || record.rotatedAt !== null) return null;
    if (record.expiresAt <= now || grant.expiresAt <= now) return null;
    return { token: record, grant };
  }

  /** Stores a refresh token issued under `grant`, with a fresh idle lifetime. */
  async storeRefreshToken(grant: GrantRecord, token: string): Promise<void> {
    await this.options.store.insertRefreshToken(this.refreshRecord(grant, token));
  }

  /** Spends `parent` for `successor`; false when the parent was already spent. */
  rotateRefreshToken(grant: GrantRecord, parent: RefreshTokenRecord, successor: string): Promise<boolean> {
    return this.options.store.rotateRefreshToken(
      parent.hash,
      this.refreshRecord(grant, successor),
      this.options.now(),
    );
  }

  /** Binds the grant's refresh tokens to the DPoP key a public client proved at the code exchange. */
  bindToDpopKey(grant: GrantRecord, jkt: string): Promise<void> {
    return this.options.store.bindToDpopKey(grant.id, jkt);
  }

  /** Remembers an access token issued under the grant, so revoking the grant denies it. */
  recordAccessToken(grant: GrantRecord, jti: string, expiresAt: number): Promise<void> {
    return this.options.store.recordAccessToken(jti, grant.id, expiresAt);
  }

  /**
   * Revokes the grant: its refresh tokens stop working at once, and each access token
   * issued under it goes on the revocation feed.
   */
  async revoke(grantId: string): Promise<void> {
    const now = this.options.now();
    // Revoked already: its tokens are on the feed; a replayed code must not add them again.
    if (!(await this.options.store.revoke(grantId, now))) return;
    const live = await this.options.store.liveAccessTokens(grantId, now);
    await this.options.revocations.recordAll(
      live.map(({ jti, expiresAt }) => ({ kind: 'token', value: jti, revokedAt: now, expiresAt })),
    );
  }

  /** Revokes every live grant a user gave a client. */
  async revokeAllOf(userId: string, clientId: string): Promise<void> {
    for (const id of await this.options.store.liveGrantIds(userId, clientId, this.options.now())) {
      await this.revoke(id);
    }
  }

  /** Hands the grants of one browser session on to the next, when their user signs in again. */
  moveToSession(fromSessionId: string, toSessionId: string): Promise<void> {
    return this.options.store.moveToSession(fromSessionId, toSessionId);
  }

  /** Puts one access token of a revoked grant on the revocation feed. */
  async revokeAccessToken(jti: string, expiresAt: number): Promise<void> {
    const now = this.options.now();
    await this.options.revocations.recordAll([{ kind: 'token', value: jti, revokedAt: now, expiresAt }]);
  }

  /** Whether the grant has been revoked, as the store says now. */
  isRevoked(grantId: string): Promise<boolean> {
    return this.options.store.isRevoked(grantId);
  }

  /** The live grants made in a browser session, for logout. */
  grantsOfSession(sessionId: string): Promise<GrantRecord[]> {
    return this.options.store.liveGrantsOfSession(sessionId, this.options.now());
  }

  purgeExpired(): Promise<number> {
    return this.options.store.purgeExpired(this.options.now());
  }

  private refreshRecord(grant: GrantRecord, token: string): RefreshTokenRecord {
    const now = this.options.now();
    return {
      hash: this.options.minter.hash(token),
      grantId: grant.id,
      createdAt: now,
      expiresAt: Math.min(now + REFRESH_IDLE_SECONDS, grant.expiresAt),
      rotatedAt: null,
    };
  }
}
