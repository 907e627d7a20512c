import type { Kysely } from 'kysely';
import type { ApiKeyRow, Tables } from './schema.js';

export interface ApiKeyRecord {
  readonly id: string;
  readonly name: string;
  /** Keyed hash of the key: the only form in which it is stored. */
  readonly hash: string;
  /** What may be shown: `tsk_live_AbCd…`. */
  readonly displayPrefix: string;
  readonly env: 'live' | 'test';
  readonly scopes: readonly string[];
  readonly createdAt: number;
  readonly expiresAt: number | null;
  readonly revokedAt: number | null;
  readonly lastUsedAt: number | null;
  /** The key that replaced this one in a rotation. */
  readonly successorId: string | null;
  /** Requests per minute verifiers allow it; null for no limit. */
  readonly rateLimit: number | null;
}

export interface ApiKeyStore {
  insert(key: ApiKeyRecord): Promise<void>;
  findByHash(hash: string): Promise<ApiKeyRecord | null>;
  findById(id: string): Promise<ApiKeyRecord | null>;
  list(): Promise<ApiKeyRecord[]>;
  /** Inserts `successor` and sets the expiry of `id` to `expiresAt`, in one transaction. */
  rotate(id: string, successor: ApiKeyRecord, expiresAt: number): Promise<void>;
  /** Returns whether a live key was revoked. */
  revoke(id: string, at: number): Promise<boolean>;
  /** Records when keys were last used, many at once. */
  recordUse(lastUsed: ReadonlyMap<string, number>): Promise<void>;
}

export class SqlApiKeyStore implements ApiKeyStore {
  constructor(private readonly db: Kysely<Tables>) {}

  async insert(key: ApiKeyRecord): Promise<void> {
    await this.db.insertInto('api_keys').values(toRow(key)).execute();
  }

  async findByHash(hash: string): Promise<ApiKeyRecord | null> {
    const row = await this.db.selectFrom('api_keys').selectAll().where('hash', '=', hash).executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  async findById(id: string): Promise<ApiKeyRecord | null> {
    const row = await this.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  async list(): Promise<ApiKeyRecord[]> {
    const rows = await this.db
      .selectFrom('api_keys')
      .selectAll()
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(fromRow);
  }

  async rotate(id: string, successor: ApiKeyRecord, expiresAt: number): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('api_keys').values(toRow(successor)).execute();
      await trx
        .updateTable('api_keys')
        .set({ expires_at: expiresAt, successor_id: successor.id })
        .where('id', '=', id)
        .execute();
    });
  }

  async revoke(id: string, at: number): Promise<boolean> {
    const result = await this.db
      .updateTable('api_keys')
      .set({ revoked_at: at })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async recordUse(lastUsed: ReadonlyMap<string, number>): Promise<void> {
    if (lastUsed.size === 0) return;
    await this.db.transaction().execute(async (trx) => {
      for (const [id, at] of lastUsed) {
        await trx.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', id).execute();
      }
    });
  }
}

function toRow(key: ApiKeyRecord): ApiKeyRow {
  return {
    id: key.id,
    name: key.name,
    hash: key.hash,
    display_prefix: key.displayPrefix,
    env: key.env,
    scopes: JSON.stringify(key.scopes),
    created_at: key.createdAt,
    expires_at: key.expiresAt,
    revoked_at: key.revokedAt,
    last_used_at: key.lastUsedAt,
    successor_id: key.successorId,
    rate_limit: key.rateLimit,
  };
}

function fromRow(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    hash: row.hash,
    displayPrefix: row.display_prefix,
    env: row.env as 'live' | 'test',
    scopes: JSON.parse(row.scopes),
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
    successorId: row.successor_id,
    rateLimit: row.rate_limit,
  };
}
