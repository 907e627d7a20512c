import type { Kysely, Migration } from 'kysely';

/**
 * Opaque access tokens remember what they are bound to (`cnf`: a DPoP key thumbprint or a
 * certificate hash) and, for exchanged tokens, on whose behalf they act (`act`), as JSON.
 */
export const tokenBinding: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('opaque_tokens').addColumn('confirmation', 'text').execute();
    await db.schema.alterTable('opaque_tokens').addColumn('actor', 'text').execute();
  },
};
