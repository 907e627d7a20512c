import type { Kysely } from 'kysely';
import type { Tables } from './schema.js';

/**
 * The scopes a user has let a client hold at one API (audience), remembered so the consent
 * page is not shown again.
 */
export interface ConsentRecord {
  readonly userId: string;
  readonly clientId: string;
  readonly audience: string;
  readonly scopes: readonly string[];
  readonly grantedAt: number;
}

export interface ConsentStore {
  find(userId: string, clientId: string, audience: string): Promise<ConsentRecord | null>;
  /** Records the consent, replacing any earlier one of the same user, client and audience. */
  save(consent: ConsentRecord): Promise<void>;
  /** Deletes the user's consents to the client, at every audience; returns whether there were any. */
  delete(userId: string, clientId: string): Promise<boolean>;
  listForUser(userId: string): Promise<ConsentRecord[]>;
}

export class SqlConsentStore implements ConsentStore {
  constructor(private readonly db: Kysely<Tables>) {}

  async find(userId: string, clientId: string, audience: string): Promise<ConsentRecord | null> {
    const row = await this.db
      .selectFrom('consents')
      .selectAll()
      .where('user_id', '=', userId)
      .where('client_id', '=', clientId)
      .where('audience', '=', audience)
      .executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  async save(consent: ConsentRecord): Promise<void> {
    const values = {
      user_id: consent.userId,
      client_id: consent.clientId,
      audience: consent.audience,
      scopes: JSON.stringify(consent.scopes),
      granted_at: consent.grantedAt,
    };
    await this.db
      .insertInto('consents')
      .values(values)
      .onConflict((conflict) =>
        conflict.columns(['user_id', 'client_id', 'audience']).doUpdateSet({
          scopes: values.scopes,
          granted_at: values.granted_at,
        }),
      )
      .execute();
  }

  async delete(userId: string, clientId: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('consents')
      .where('user_id', '=', userId)
      .where('client_id', '=', clientId)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async listForUser(userId: string): Promise<ConsentRecord[]> {
    const rows = await this.db
      .selectFrom('consents')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('granted_at', 'desc')
      .execute();
    return rows.map(fromRow);
  }
}

function fromRow(row: Tables['consents']): ConsentRecord {
  return {
    userId: row.user_id,
    clientId: row.client_id,
    audience: row.audience,
    scopes: JSON.parse(row.scopes),
    grantedAt: row.granted_at,
  };
}
