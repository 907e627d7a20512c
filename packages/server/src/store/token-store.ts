import type { Kysely } from 'kysely';
import type { OpaqueTokenRow, Tables } from './schema.js';

/** An opaque access token, found by the keyed hash of its value. */
export interface OpaqueTokenRecord {
  readonly hash: string;
  readonly jti: string;
  readonly clientId: string;
  readonly subject: string;
  readonly audience: readonly string[];
  readonly scope: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly revokedAt: number | null;
}

/** A token revoked before its expiry; kept until then, so verifiers can learn of it. */
export interface RevocationRecord {
  readonly jti: string;
  readonly clientId: string;
  readonly expiresAt: number;
  readonly revokedAt: number;
}

export interface TokenStore {
  insertOpaque(token: OpaqueTokenRecord): Promise<void>;
  findOpaque(hash: string): Promise<OpaqueTokenRecord | null>;
  /** Marks the token revoked and records the revocation, atomically; idempotent. */
  revoke(revocation: RevocationRecord, opaqueHash?: string): Promise<void>;
  isRevoked(jti: string): Promise<boolean>;
  /** Deletes tokens and revocations that expired before `now`; returns how many rows went. */
  purgeExpired(now: number): Promise<number>;
}

export class SqlTokenStore implements TokenStore {
  constructor(private readonly db: Kysely<Tables>) {}

  async insertOpaque(token: OpaqueTokenRecord): Promise<void> {
    await this.db
      .insertInto('opaque_tokens')
      .values({
        hash: token.hash,
        jti: token.jti,
        client_id: token.clientId,
        subject: token.subject,
        audience: JSON.stringify(token.audience),
        scope: token.scope,
        issued_at: token.issuedAt,
        expires_at: token.expiresAt,
        revoked_at: token.revokedAt,
      })
      .execute();
  }

  async findOpaque(hash: string): Promise<OpaqueTokenRecord | null> {
    const row = await this.db
      .selectFrom('opaque_tokens')
      .selectAll()
      .where('hash', '=', hash)
      .executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  async revoke(revocation: RevocationRecord, opaqueHash?: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      if (opaqueHash !== undefined) {
        await trx
          .updateTable('opaque_tokens')
          .set({ revoked_at: revocation.revokedAt })
          .where('hash', '=', opaqueHash)
          .where('revoked_at', 'is', null)
          .execute();
      }
      await trx
        .insertInto('revocations')
        .values({
          jti: revocation.jti,
          client_id: revocation.clientId,
          expires_at: revocation.expiresAt,
          revoked_at: revocation.revokedAt,
        })
        .onConflict((oc) => oc.column('jti').doNothing())
        .execute();
    });
  }

  async isRevoked(jti: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('revocations')
      .select('seq')
      .where('jti', '=', jti)
      .executeTakeFirst();
    return row !== undefined;
  }

  async purgeExpired(now: number): Promise<number> {
    const tokens = await this.db.deleteFrom('opaque_tokens').where('expires_at', '<', now).executeTakeFirst();
    const revocations = await this.db
      .deleteFrom('revocations')
      .where('expires_at', '<', now)
      .executeTakeFirst();
    return Number(tokens.numDeletedRows + revocations.numDeletedRows);
  }
}

function fromRow(row: OpaqueTokenRow): OpaqueTokenRecord {
  return {
    hash: row.hash,
    jti: row.jti,
    clientId: row.client_id,
    subject: row.subject,
    audience: JSON.parse(row.audience),
    scope: row.scope,
    issuedAt: row.issued_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  };
}
