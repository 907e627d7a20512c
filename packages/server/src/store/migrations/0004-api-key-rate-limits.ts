import type { Kysely, Migration } from 'kysely';

/** An API key may carry a rate limit, in requests per minute, that verifiers enforce. */
export const apiKeyRateLimits: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('api_keys').addColumn('rate_limit', 'integer').execute();
  },
};
