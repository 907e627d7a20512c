import type { Kysely, Migration } from 'kysely';

/**
 * DPoP (RFC 9449): a grant remembers the key its refresh tokens are bound to (a public
 * client's, or the one the authorization request named with `dpop_jkt`), and a client may
 * be registered to require DPoP-bound access tokens (§5.2 `dpop_bound_access_tokens`).
 */
export const dpop: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('grants').addColumn('dpop_jkt', 'text').execute();
    await db.schema
      .alterTable('clients')
      .addColumn('dpop_bound_access_tokens', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
  },
};
