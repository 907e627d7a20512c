import type { Kysely } from 'kysely';
import type { HmacCredentialRow, Tables } from './schema.js';

export interface HmacCredentialRecord {
  readonly accessKeyId: string;
  readonly name: string;
  readonly scopes: readonly string[];
  /** The secret access key, sealed under the master key. */
  readonly secretSealed: string;
  readonly createdAt: number;
  readonly revokedAt: number | null;
}

export interface HmacCredentialStore {
  insert(credential: HmacCredentialRecord): Promise<void>;
  find(accessKeyId: string): Promise<HmacCredentialRecord | null>;
  list(): Promise<HmacCredentialRecord[]>;
  /** Returns whether a live credential was revoked. */
  revoke(accessKeyId: string, at: number): Promise<boolean>;
}

export class SqlHmacCredentialStore implements HmacCredentialStore {
  constructor(private readonly db: Kysely<Tables>) {}

  async insert(credential: HmacCredentialRecord): Promise<void> {
    await this.db
      .insertInto('hmac_credentials')
      .values({
        access_key_id: credential.accessKeyId,
        name: credential.name,
        scopes: JSON.stringify(credential.scopes),
        secret_sealed: credential.secretSealed,
        created_at: credential.createdAt,
        revoked_at: credential.revokedAt,
      })
      .execute();
  }

  async find(accessKeyId: string): Promise<HmacCredentialRecord | null> {
    const row = await this.db
      .selectFrom('hmac_credentials')
      .selectAll()
      .where('access_key_id', '=', accessKeyId)
      .executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  async list(): Promise<HmacCredentialRecord[]> {
    const rows = await this.db.selectFrom('hmac_credentials').selectAll().orderBy('created_at').execute();
    return rows.map(fromRow);
  }

  async revoke(accessKeyId: string, at: number): Promise<boolean> {
    const result = await this.db
      .updateTable('hmac_credentials')
      .set({ revoked_at: at })
      .where('access_key_id', '=', accessKeyId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
}

function fromRow(row: HmacCredentialRow): HmacCredentialRecord {
  return {
    accessKeyId: row.access_key_id,
    name: row.name,
    scopes: JSON.parse(row.scopes),
    secretSealed: row.secret_sealed,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}
