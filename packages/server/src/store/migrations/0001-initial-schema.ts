import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../dialect.js';

export function initialSchema(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('clients')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('secret_hash', 'text')
        .addColumn('auth_method', 'text', (c) => c.notNull())
        .addColumn('grant_types', 'text', (c) => c.notNull())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('redirect_uris', 'text', (c) => c.notNull())
        .addColumn('audiences', 'text', (c) => c.notNull())
        .addColumn('token_format', 'text')
        .addColumn('access_token_ttl', 'integer')
        .addColumn('resource_server', 'integer', (c) => c.notNull())
        .addColumn('jwks', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('resource_servers')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('audience', 'text', (c) => c.notNull().unique())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('token_format', 'text', (c) => c.notNull())
        .addColumn('token_ttl', 'integer')
        .addColumn('alg', 'text', (c) => c.notNull())
        .addColumn('secret_sealed', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('signing_keys')
        .addColumn('kid', 'text', (c) => c.primaryKey())
        .addColumn('alg', 'text', (c) => c.notNull())
        .addColumn('public_jwk', 'text', (c) => c.notNull())
        .addColumn('private_jwk_sealed', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('active_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint')
        .execute();

      await db.schema
        .createTable('opaque_tokens')
        .addColumn('hash', 'text', (c) => c.primaryKey())
        .addColumn('jti', 'text', (c) => c.notNull().unique())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('audience', 'text', (c) => c.notNull())
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('issued_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('opaque_tokens_expires_at')
        .on('opaque_tokens')
        .column('expires_at')
        .execute();

      // The revocation feed: every token, client or subject revoked before its tokens
      // expire, in order (`seq`), so verifiers can deny still-valid JWTs.
      await db.schema
        .createTable('revocations')
        .addColumn('seq', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
          dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('revocations_kind_value')
        .on('revocations')
        .columns(['kind', 'value'])
        .execute();
      await db.schema.createIndex('revocations_expires_at').on('revocations').column('expires_at').execute();
    },
  };
}
