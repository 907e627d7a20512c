import type { Kysely } from 'kysely';
import type { SigningKeyRow, Tables } from './schema.js';

export interface SigningKeyRecord {
  readonly kid: string;
  readonly alg: string;
  readonly publicJwk: Record<string, unknown>;
  /** The private JWK, sealed under the master key. */
  readonly privateJwkSealed: string;
  readonly createdAt: number;
  /** From this time on the key signs; before it, it is only published. */
  readonly activeAt: number;
  /** After this time the key is neither used nor published; null while in service. */
  readonly expiresAt: number | null;
}

export interface SigningKeyStore {
  insert(key: SigningKeyRecord): Promise<void>;
  /** Keys not yet expired at `now`, oldest first. */
  listLive(now: number): Promise<SigningKeyRecord[]>;
  /** Inserts `key` and sets the expiry of every predecessor of its alg, in one transaction. */
  rotate(key: SigningKeyRecord, predecessorsExpireAt: number): Promise<void>;
}

export class SqlSigningKeyStore implements SigningKeyStore {
  constructor(private readonly db: Kysely<Tables>) {}

  async insert(key: SigningKeyRecord): Promise<void> {
    await this.db.insertInto('signing_keys').values(toRow(key)).execute();
  }

  async listLive(now: number): Promise<SigningKeyRecord[]> {
    const rows = await this.db
      .selectFrom('signing_keys')
      .selectAll()
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .orderBy('active_at')
      .orderBy('created_at')
      .execute();
    return rows.map(fromRow);
  }

  async rotate(key: SigningKeyRecord, predecessorsExpireAt: number): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('signing_keys')
        .set({ expires_at: predecessorsExpireAt })
        .where('alg', '=', key.alg)
        .where('expires_at', 'is', null)
        .execute();
      await trx.insertInto('signing_keys').values(toRow(key)).execute();
    });
  }
}

function toRow(key: SigningKeyRecord): SigningKeyRow {
  return {
    kid: key.kid,
    alg: key.alg,
    public_jwk: JSON.stringify(key.publicJwk),
    private_jwk_sealed: key.privateJwkSealed,
    created_at: key.createdAt,
    active_at: key.activeAt,
    expires_at: key.expiresAt,
  };
}

function fromRow(row: SigningKeyRow): SigningKeyRecord {
  return {
    kid: row.kid,
    alg: row.alg,
    publicJwk: JSON.parse(row.public_jwk),
    privateJwkSealed: row.private_jwk_sealed,
    createdAt: row.created_at,
    activeAt: row.active_at,
    expiresAt: row.expires_at,
  };
}
