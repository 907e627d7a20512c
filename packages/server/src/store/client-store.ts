import type { Kysely } from 'kysely';
import type { ClientRow, Tables } from './schema.js';

export type TokenFormat = 'jwt' | 'opaque';

export interface ClientRecord {
  readonly id: string;
  readonly name: string;
  /** Keyed hash of the secret; null for public clients and private_key_jwt. */
  readonly secretHash: string | null;
  readonly authMethod: string;
  readonly grantTypes: readonly string[];
  readonly scopes: readonly string[];
  readonly redirectUris: readonly string[];
  readonly audiences: readonly string[];
  readonly tokenFormat: TokenFormat | null;
  readonly accessTokenTtl: number | null;
  /** May introspect any token and look up credentials (what a gateway needs). */
  readonly resourceServer: boolean;
  /** Public keys for private_key_jwt (a JWKS). */
  readonly jwks: { keys: object[] } | null;
  readonly createdAt: number;
  /** Where the end-session endpoint may send the browser after logout (exact match). */
  readonly postLogoutRedirectUris: readonly string[];
  /** Seconds in which a just-rotated refresh token yields the same successor; null: none. */
  readonly refreshTokenGrace: number | null;
}

export interface ClientStore {
  insert(client: ClientRecord): Promise<void>;
  findById(id: string): Promise<ClientRecord | null>;
  list(): Promise<ClientRecord[]>;
  /** Returns whether a client was deleted. */
  delete(id: string): Promise<boolean>;
  /** The longest access-token lifetime any client sets, or null when none sets one. */
  longestAccessTokenTtl(): Promise<number | null>;
}

export class SqlClientStore implements ClientStore {
  constructor(private readonly db: Kysely<Tables>) {}

  async insert(client: ClientRecord): Promise<void> {
    await this.db.insertInto('clients').values(toRow(client)).execute();
  }

  async findById(id: string): Promise<ClientRecord | null> {
    const row = await this.db.selectFrom('clients').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? fromRow(row) : null;
  }

  async list(): Promise<ClientRecord[]> {
    const rows = await this.db
      .selectFrom('clients')
      .selectAll()
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(fromRow);
  }

  async delete(id: string): Promise<boolean> {
    const result = await this.db.deleteFrom('clients').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async longestAccessTokenTtl(): Promise<number | null> {
    const row = await this.db
      .selectFrom('clients')
      .select((eb) => eb.fn.max('access_token_ttl').as('longest'))
      .executeTakeFirst();
    return row?.longest ?? null;
  }
}

function toRow(client: ClientRecord): ClientRow {
  return {
    id: client.id,
    name: client.name,
    secret_hash: client.secretHash,
    auth_method: client.authMethod,
    grant_types: JSON.stringify(client.grantTypes),
    scopes: JSON.stringify(client.scopes),
    redirect_uris: JSON.stringify(client.redirectUris),
    audiences: JSON.stringify(client.audiences),
    token_format: client.tokenFormat,
    access_token_ttl: client.accessTokenTtl,
    resource_server: client.resourceServer ? 1 : 0,
    jwks: client.jwks ? JSON.stringify(client.jwks) : null,
    created_at: client.createdAt,
    post_logout_redirect_uris: JSON.stringify(client.postLogoutRedirectUris),
    refresh_token_grace: client.refreshTokenGrace,
  };
}

function fromRow(row: ClientRow): ClientRecord {
  return {
    id: row.id,
    name: row.name,
    secretHash: row.secret_hash,
    authMethod: row.auth_method,
    grantTypes: JSON.parse(row.grant_types),
    scopes: JSON.parse(row.scopes),
    redirectUris: JSON.parse(row.redirect_uris),
    audiences: JSON.parse(row.audiences),
    tokenFormat: row.token_format as TokenFormat | null,
    accessTokenTtl: row.access_token_ttl,
    resourceServer: row.resource_server === 1,
    jwks: row.jwks ? JSON.parse(row.jwks) : null,
    createdAt: row.created_at,
    postLogoutRedirectUris: JSON.parse(row.post_logout_redirect_uris),
    refreshTokenGrace: row.refresh_token_grace,
  };
}
