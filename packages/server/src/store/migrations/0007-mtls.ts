import type { Kysely, Migration } from 'kysely';

/**
 * Mutual TLS client authentication (RFC 8705): the certificate subject a `tls_client_auth`
 * client registered, its DN or one alternative name, and the match key the certificate of
 * a request is looked up by (unique: one certificate subject names one client).
 */
export const mtls: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('clients').addColumn('tls_subject_dn', 'text').execute();
    await db.schema.alterTable('clients').addColumn('tls_san', 'text').execute();
    await db.schema.alterTable('clients').addColumn('tls_match_key', 'text').execute();
    await db.schema
      .createIndex('clients_tls_match_key')
      .unique()
      .on('clients')
      .column('tls_match_key')
      .execute();
  },
};
