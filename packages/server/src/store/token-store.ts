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
  /** What the token is bound to (`cnf`), if anything. */
  readonly confirmation: Readonly<Record<string, string>> | null;
  /** The actor chain of an exchanged token (`act`), if any. */
  readonly actor: Readonly<Record<string, unknown>> | null;
}

/**
 * One entry of the revocation feed: a token (by `jti`), or every token of a client or a
 * subject issued up to `revokedAt`. Kept until `expiresAt`, when no token it denies can
 * still be alive.
 */
export interface RevocationEvent {
  readonly kind: 'token' | 'client' | 'subject';
  readonly value: string;
  readonly revokedAt: number;
  readonly expiresAt: number;
}

export interface TokenStore {
  insertOpaque(token: OpaqueTokenRecord): Promise<void>;
  findOpaque(hash: string): Promise<OpaqueTokenRecord | null>;
  /** Records a revocation, and marks the opaque token revoked, atomically. */
  revoke(event: RevocationEvent, opaqueHash?: string): Promise<void>;
  /** Records several revocations in one transaction. */
  revokeAll(events: readonly RevocationEvent[]): Promise<void>;
  /** The live revocations recorded after `seq`, oldest first, at most `limit`. */
  revocationsAfter(seq: number, limit: number, now: number): Promise<(RevocationEvent & { seq: number })[]>;
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
        confirmation: token.confirmation === null ? null : JSON.stringify(token.confirmation),
        actor: token.actor === null ? null : JSON.stringify(token.actor),
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

  async revoke(event: RevocationEvent, opaqueHash?: string): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      if (opaqueHash !== undefined) {
        await trx
          .updateTable('opaque_tokens')
          .set({ revoked_at: event.revokedAt })
          .where('hash', '=', opaqueHash)
          .where('revoked_at', 'is', null)
          .execute();
      }
      await trx
        .insertInto('revocations')
        .values({
          kind: event.kind,
          value: event.value,
          revoked_at: event.revokedAt,
          expires_at: event.expiresAt,
        })
        .execute();
    });
  }

  async revokeAll(events: readonly RevocationEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.db
      .insertInto('revocations')
      .values(
        events.map((event) => ({
          kind: event.kind,
          value: event.value,
          revoked_at: event.revokedAt,
          expires_at: event.expiresAt,
        })),
      )
      .execute();
  }

  async revocationsAfter(
    seq: number,
    limit: number,
    now: number,
  ): Promise<(RevocationEvent & { seq: number })[]> {
    const rows = await this.db
      .selectFrom('revocations')
      .selectAll()
      .where('seq', '>', seq)
      .where('expires_at', '>', now)
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      seq: row.seq,
      kind: row.kind as RevocationEvent['kind'],
      value: row.value,
      revokedAt: row.revoked_at,
      expiresAt: row.expires_at,
    }));
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
    confirmation: row.confirmation === null ? null : JSON.parse(row.confirmation),
    actor: row.actor === null ? null : JSON.parse(row.actor),
  };
}
