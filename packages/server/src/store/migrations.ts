import { type Kysely, type Migration, Migrator } from 'kysely';
import type { Dialect } from './dialect.js';
import { initialSchema } from './migrations/0001-initial-schema.js';
import { apiKeys } from './migrations/0002-api-keys.js';
import { hmacCredentials } from './migrations/0003-hmac-credentials.js';
import { apiKeyRateLimits } from './migrations/0004-api-key-rate-limits.js';
import { endUsers } from './migrations/0005-end-users.js';
import { tokenBinding } from './migrations/0006-token-binding.js';
import { mtls } from './migrations/0007-mtls.js';
import { dpop } from './migrations/0008-dpop.js';
import type { Tables } from './schema.js';

/** Every migration, in order. Never edit one that has shipped: add the next. */
function migrations(dialect: Dialect): Record<string, Migration> {
  return {
    '0001-initial-schema': initialSchema(dialect),
    '0002-api-keys': apiKeys,
    '0003-hmac-credentials': hmacCredentials,
    '0004-api-key-rate-limits': apiKeyRateLimits,
    '0005-end-users': endUsers,
    '0006-token-binding': tokenBinding,
    '0007-mtls': mtls,
    '0008-dpop': dpop,
  };
}

export async function migrateToLatest(db: Kysely<Tables>, dialect: Dialect): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations(dialect) },
  });
  const { error } = await migrator.migrateToLatest();
  const missing = /previously executed migration (\S+) is missing/.exec(
    String((error as Error | undefined)?.message),
  );
  if (missing) {
    throw new Error(
      `the database was upgraded by a newer Tessera (migration ${missing[1]}); run that version or newer`,
    );
  }
  if (error) throw error;
}
