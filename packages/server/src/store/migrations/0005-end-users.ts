import type { Kysely, Migration } from 'kysely';

/**
 * End users and what they authorize: accounts, browser sessions, remembered consent, and
 * grants (one authorization each: its code, then its refresh tokens and access tokens).
 * Passwords are argon2id hashes; session cookies, codes and refresh tokens keyed hashes.
 */
export const endUsers: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('users')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('username', 'text', (c) => c.notNull())
      // The username folded for comparison (NFKC, lower case): unique, and what sign-in looks up.
      .addColumn('username_key', 'text', (c) => c.notNull().unique())
      .addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('email', 'text')
      .addColumn('name', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('sessions')
      .addColumn('hash', 'text', (c) => c.primaryKey())
      .addColumn('id', 'text', (c) => c.notNull().unique())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('auth_time', 'bigint', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('sessions_user_id').on('sessions').column('user_id').execute();

    await db.schema
      .createTable('consents')
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('client_id', 'text', (c) => c.notNull())
      // Consent is to scopes at one API: the same scope names mean other things elsewhere.
      .addColumn('audience', 'text', (c) => c.notNull())
      .addColumn('scopes', 'text', (c) => c.notNull())
      .addColumn('granted_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('consents_pk', ['user_id', 'client_id', 'audience'])
      .execute();

    await db.schema
      .createTable('grants')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('client_id', 'text', (c) => c.notNull())
      .addColumn('scopes', 'text', (c) => c.notNull())
      .addColumn('audience', 'text', (c) => c.notNull())
      // The redirect_uri the authorization request sent, if it sent one (RFC 6749 §4.1.3).
      .addColumn('redirect_uri', 'text')
      .addColumn('code_hash', 'text', (c) => c.notNull().unique())
      .addColumn('code_challenge', 'text', (c) => c.notNull())
      .addColumn('code_expires_at', 'bigint', (c) => c.notNull())
      .addColumn('code_used_at', 'bigint')
      .addColumn('nonce', 'text')
      .addColumn('auth_time', 'bigint', (c) => c.notNull())
      .addColumn('session_id', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      // No refresh token of the grant lives past this (the absolute lifetime).
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('revoked_at', 'bigint')
      .execute();
    await db.schema
      .createIndex('grants_user_client')
      .on('grants')
      .columns(['user_id', 'client_id'])
      .execute();
    await db.schema.createIndex('grants_expires_at').on('grants').column('expires_at').execute();

    await db.schema
      .createTable('refresh_tokens')
      .addColumn('hash', 'text', (c) => c.primaryKey())
      .addColumn('grant_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      // The idle lifetime: each rotation starts a new one, never past the grant's end.
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('rotated_at', 'bigint')
      .execute();
    await db.schema.createIndex('refresh_tokens_grant_id').on('refresh_tokens').column('grant_id').execute();

    // Access tokens issued under a grant, so revoking the grant can deny each of them.
    await db.schema
      .createTable('grant_access_tokens')
      .addColumn('jti', 'text', (c) => c.primaryKey())
      .addColumn('grant_id', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('grant_access_tokens_grant_id')
      .on('grant_access_tokens')
      .column('grant_id')
      .execute();

    await db.schema
      .alterTable('clients')
      .addColumn('post_logout_redirect_uris', 'text', (c) => c.notNull().defaultTo('[]'))
      .execute();
    // Seconds in which a just-rotated refresh token yields the same successor; null: none.
    await db.schema.alterTable('clients').addColumn('refresh_token_grace', 'integer').execute();
  },
};
