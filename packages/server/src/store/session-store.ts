import type { Kysely } from 'kysely';
import type { SessionRow, Tables } from './schema.js';

/** A signed-in browser at the authorization server, found by the keyed hash of its cookie. */
export interface SessionRecord {
  readonly hash: string;
  /** The public session id (`sid` in ID tokens). */
  readonly id: string;
  readonly userId: string;
  /** When the user last entered their password (OIDC `auth_time`). */
  readonly authTime: number;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export interface SessionStore {
  insert(session: SessionRecord): Promise<void>;
  findByHash(hash: string): Promise<SessionRecord | null>;
  deleteByHash(hash: string): Promise<void>;
  purgeExpired(now: number): Promise<number>;
}

export class SqlSessionStore implements SessionStore {
  constructor(private readonly db: Kysely<Tables>) {}

  async insert(session: SessionRecord): Promise<void> {
    await this.db
      .insertInto('sessions')
      .values({
        hash: session.hash,
        id: session.id,
        user_id: session.userId,
        auth_time: session.authTime,
        created_at: session.createdAt,
        expires_at: session.expiresAt,
      })
      .execute();
  }

  async findByHash(hash: string): Promise<SessionRecord | null> {
    const row = await this.db.selectFrom('sessions').selectAll().where('hash', '=', hash).executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  async deleteByHash(hash: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('hash', '=', hash).execute();
  }

  async purgeExpired(now: number): Promise<number> {
    const result = await this.db.deleteFrom('sessions').where('expires_at', '<', now).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

function fromRow(row: SessionRow): SessionRecord {
  return {
    hash: row.hash,
    id: row.id,
    userId: row.user_id,
    authTime: row.auth_time,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  };
}
