import type { Kysely } from 'kysely';
import type { TokenFormat } from './client-store.js';
import type { ResourceServerRow, Tables } from './schema.js';

/** An API that accepts our access tokens, known by its audience. */
export interface ResourceServerRecord {
  readonly id: string;
  readonly audience: string;
  readonly scopes: readonly string[];
  readonly tokenFormat: TokenFormat;
  readonly tokenTtl: number | null;
  readonly alg: string;
  /** The HS256 secret, sealed under the master key; null for asymmetric algorithms. */
  readonly secretSealed: string | null;
  readonly createdAt: number;
}

export interface ResourceServerStore {
  insert(record: ResourceServerRecord): Promise<void>;
  findByAudience(audience: string): Promise<ResourceServerRecord | null>;
  findById(id: string): Promise<ResourceServerRecord | null>;
  list(): Promise<ResourceServerRecord[]>;
  /** The longest token lifetime any API sets, or null when none sets one. */
  longestTokenTtl(): Promise<number | null>;
}

export class SqlResourceServerStore implements ResourceServerStore {
  constructor(private readonly db: Kysely<Tables>) {}

  async insert(record: ResourceServerRecord): Promise<void> {
    await this.db
      .insertInto('resource_servers')
      .values({
        id: record.id,
        audience: record.audience,
        scopes: JSON.stringify(record.scopes),
        token_format: record.tokenFormat,
        token_ttl: record.tokenTtl,
        alg: record.alg,
        secret_sealed: record.secretSealed,
        created_at: record.createdAt,
      })
      .execute();
  }

  async findByAudience(audience: string): Promise<ResourceServerRecord | null> {
    const row = await this.db
      .selectFrom('resource_servers')
      .selectAll()
      .where('audience', '=', audience)
      .executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  async findById(id: string): Promise<ResourceServerRecord | null> {
    const row = await this.db
      .selectFrom('resource_servers')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  async list(): Promise<ResourceServerRecord[]> {
    const rows = await this.db.selectFrom('resource_servers').selectAll().orderBy('created_at').execute();
    return rows.map(fromRow);
  }

  async longestTokenTtl(): Promise<number | null> {
    const row = await this.db
      .selectFrom('resource_servers')
      .select((eb) => eb.fn.max('token_ttl').as('longest'))
      .executeTakeFirst();
    return row?.longest ?? null;
  }
}

function fromRow(row: ResourceServerRow): ResourceServerRecord {
  return {
    id: row.id,
    audience: row.audience,
    scopes: JSON.parse(row.scopes),
    tokenFormat: row.token_format as TokenFormat,
    tokenTtl: row.token_ttl,
    alg: row.alg,
    secretSealed: row.secret_sealed,
    createdAt: row.created_at,
  };
}
