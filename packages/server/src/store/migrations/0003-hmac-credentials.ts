import type { Kysely, Migration } from 'kysely';

/** Request-signing credentials: the secret is sealed (the server must recompute HMACs). */
export const hmacCredentials: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('hmac_credentials')
      .addColumn('access_key_id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('scopes', 'text', (c) => c.notNull())
      .addColumn('secret_sealed', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('revoked_at', 'bigint')
      .execute();
  },
};
