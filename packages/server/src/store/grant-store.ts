import type { Kysely } from 'kysely';
import type { GrantRow, RefreshTokenRow, Tables } from './schema.js';

/**
 * One authorization a user gave a client: its code, then the refresh tokens (one family)
 * and access tokens issued from it. Revoking the grant ends all of them.
 */
export interface GrantRecord {
  readonly id: string;
  readonly userId: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly audience: string;
  /** The redirect_uri the authorization request sent, or null when it relied on the only one registered. */
  readonly redirectUri: string | null;
  readonly codeHash: string;
  readonly codeChallenge: string;
  readonly codeExpiresAt: number;
  readonly codeUsedAt: number | null;
  readonly nonce: string | null;
  readonly authTime: number;
  readonly sessionId: string | null;
  readonly createdAt: number;
  /** Nothing issued from the grant lives past this. */
  readonly expiresAt: number;
  readonly revokedAt: number | null;
  /** The DPoP key (thumbprint) the grant's refresh tokens are bound to, if any. */
  readonly dpopJkt: string | null;
}

export interface RefreshTokenRecord {
  readonly hash: string;
  readonly grantId: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  /** When the token was exchanged for its successor; it is then spent. */
  readonly rotatedAt: number | null;
}

export interface GrantStore {
  insert(grant: GrantRecord): Promise<void>;
  findById(id: string): Promise<GrantRecord | null>;
  findByCodeHash(codeHash: string): Promise<GrantRecord | null>;
  /** Marks the code used; false when it already was (two exchanges raced, or a replay). */
  consumeCode(grantId: string, now: number): Promise<boolean>;
  /** Binds the grant's refresh tokens to a DPoP key. */
  bindToDpopKey(grantId: string, jkt: string): Promise<void>;
  /** Marks the grant revoked; false when it already was. */
  revoke(grantId: string, now: number): Promise<boolean>;
  /** The grants of a user and client that are neither revoked nor expired. */
  liveGrantIds(userId: string, clientId: string, now: number): Promise<string[]>;
  moveToSession(fromSessionId: string, toSessionId: string): Promise<void>;
  /** Whether the grant is revoked (or gone), read fresh from the store. */
  isRevoked(grantId: string): Promise<boolean>;
  /** The live grants made in a browser session. */
  liveGrantsOfSession(sessionId: string, now: number): Promise<GrantRecord[]>;
  insertRefreshToken(token: RefreshTokenRecord): Promise<void>;
  findRefreshToken(hash: string): Promise<RefreshTokenRecord | null>;
  /**
   * Spends `parentHash` and stores its successor in one transaction; false (and nothing
   * stored) when the parent was already spent.
   */
  rotateRefreshToken(parentHash: string, successor: RefreshTokenRecord, now: number): Promise<boolean>;
  recordAccessToken(jti: string, grantId: string, expiresAt: number): Promise<void>;
  /** The access tokens issued under the grant that have not expired. */
  liveAccessTokens(grantId: string, now: number): Promise<{ jti: string; expiresAt: number }[]>;
  purgeExpired(now: number): Promise<number>;
}

export class SqlGrantStore implements GrantStore {
  constructor(private readonly db: Kysely<Tables>) {}

  async insert(grant: GrantRecord): Promise<void> {
    await this.db.insertInto('grants').values(toRow(grant)).execute();
  }

  async findById(id: string): Promise<GrantRecord | null> {
    const row = await this.db.selectFrom('grants').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  async findByCodeHash(codeHash: string): Promise<GrantRecord | null> {
    const row = await this.db
      .selectFrom('grants')
      .selectAll()
      .where('code_hash', '=', codeHash)
      .executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  async consumeCode(grantId: string, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('grants')
      .set({ code_used_at: now })
      .where('id', '=', grantId)
      .where('code_used_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async bindToDpopKey(grantId: string, jkt: string): Promise<void> {
    await this.db.updateTable('grants').set({ dpop_jkt: jkt }).where('id', '=', grantId).execute();
  }

  async revoke(grantId: string, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('grants')
      .set({ revoked_at: now })
      .where('id', '=', grantId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async liveGrantIds(userId: string, clientId: string, now: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('grants')
      .select('id')
      .where('user_id', '=', userId)
      .where('client_id', '=', clientId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .execute();
    return rows.map((row) => row.id);
  }

  async isRevoked(grantId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('grants')
      .select('revoked_at')
      .where('id', '=', grantId)
      .executeTakeFirst();
    return row === undefined || row.revoked_at !== null;
  }

  async moveToSession(fromSessionId: string, toSessionId: string): Promise<void> {
    await this.db
      .updateTable('grants')
      .set({ session_id: toSessionId })
      .where('session_id', '=', fromSessionId)
      .execute();
  }

  async liveGrantsOfSession(sessionId: string, now: number): Promise<GrantRecord[]> {
    const rows = await this.db
      .selectFrom('grants')
      .selectAll()
      .where('session_id', '=', sessionId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .execute();
    return rows.map(fromRow);
  }

  async insertRefreshToken(token: RefreshTokenRecord): Promise<void> {
    await this.db.insertInto('refresh_tokens').values(refreshRow(token)).execute();
  }

  async findRefreshToken(hash: string): Promise<RefreshTokenRecord | null> {
    const row = await this.db
      .selectFrom('refresh_tokens')
      .selectAll()
      .where('hash', '=', hash)
      .executeTakeFirst();
    return row ? refreshRecord(row) : null;
  }

  async rotateRefreshToken(parentHash: string, successor: RefreshTokenRecord, now: number): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const spent = await trx
        .updateTable('refresh_tokens')
        .set({ rotated_at: now })
        .where('hash', '=', parentHash)
        .where('rotated_at', 'is', null)
        .executeTakeFirst();
      if (spent.numUpdatedRows === 0n) return false;
      await trx.insertInto('refresh_tokens').values(refreshRow(successor)).execute();
      return true;
    });
  }

  async recordAccessToken(jti: string, grantId: string, expiresAt: number): Promise<void> {
    await this.db
      .insertInto('grant_access_tokens')
      .values({ jti, grant_id: grantId, expires_at: expiresAt })
      .execute();
  }

  async liveAccessTokens(grantId: string, now: number): Promise<{ jti: string; expiresAt: number }[]> {
    const rows = await this.db
      .selectFrom('grant_access_tokens')
      .select(['jti', 'expires_at'])
      .where('grant_id', '=', grantId)
      .where('expires_at', '>', now)
      .execute();
    return rows.map((row) => ({ jti: row.jti, expiresAt: row.expires_at }));
  }

  async purgeExpired(now: number): Promise<number> {
    let deleted = 0n;
    for (const table of ['refresh_tokens', 'grant_access_tokens', 'grants'] as const) {
      const result = await this.db.deleteFrom(table).where('expires_at', '<', now).executeTakeFirst();
      deleted += result.numDeletedRows;
    }
    return Number(deleted);
  }
}

function toRow(grant: GrantRecord): GrantRow {
  return {
    id: grant.id,
    user_id: grant.userId,
    client_id: grant.clientId,
    scopes: JSON.stringify(grant.scopes),
    audience: grant.audience,
    redirect_uri: grant.redirectUri,
    code_hash: grant.codeHash,
    code_challenge: grant.codeChallenge,
    code_expires_at: grant.codeExpiresAt,
    code_used_at: grant.codeUsedAt,
    nonce: grant.nonce,
    auth_time: grant.authTime,
    session_id: grant.sessionId,
    created_at: grant.createdAt,
    expires_at: grant.expiresAt,
    revoked_at: grant.revokedAt,
    dpop_jkt: grant.dpopJkt,
  };
}

function fromRow(row: GrantRow): GrantRecord {
  return {
    id: row.id,
    userId: row.user_id,
    clientId: row.client_id,
    scopes: JSON.parse(row.scopes),
    audience: row.audience,
    redirectUri: row.redirect_uri,
    codeHash: row.code_hash,
    codeChallenge: row.code_challenge,
    codeExpiresAt: row.code_expires_at,
    codeUsedAt: row.code_used_at,
    nonce: row.nonce,
    authTime: row.auth_time,
    sessionId: row.session_id,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    dpopJkt: row.dpop_jkt,
  };
}

const refreshRow = (token: RefreshTokenRecord): RefreshTokenRow => ({
  hash: token.hash,
  grant_id: token.grantId,
  created_at: token.createdAt,
  expires_at: token.expiresAt,
  rotated_at: token.rotatedAt,
});

const refreshRecord = (row: RefreshTokenRow): RefreshTokenRecord => ({
  hash: row.hash,
  grantId: row.grant_id,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  rotatedAt: row.rotated_at,
});
