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
  /** Every token request must carry a DPoP proof (RFC 9449 §5.2). */
  readonly dpopBoundAccessTokens: boolean;
  /** The certificate subject a `tls_client_auth` client registered (RFC 8705 §2.1.2), or null. */
  readonly tlsSubject: TlsSubject | null;
}

/** One certificate subject: a DN (RFC 4514) or one alternative name, and the key it is matched by. */
export interface TlsSubject {
  /** The subject DN, in canonical RFC 4514 form; null when an alternative name is registered. */
  readonly dn: string | null;
  /** `dns:…`, `uri:…`, `ip:…` or `email:…`; null when a DN is registered. */
  readonly san: string | null;
  /** What a certificate's names are compared with (see `certificateNames` in core); unique. */
  readonly matchKey: string;
}

export interface ClientStore {
  insert(client: ClientRecord): Promise<void>;
  findById(id: string): Promise<ClientRecord | null>;
  list(): Promise<ClientRecord[]>;
  /** Returns whether a client was deleted. */
  delete(id: string): Promise<boolean>;
  /** The longest access-token lifetime any client sets, or null when none sets one. */
  longestAccessTokenTtl(): Promise<number | null>;
  /** The client registered for the first of these certificate match keys that one is, if any. */
  findByTlsMatchKey(keys: readonly string[]): Promise<ClientRecord | null>;
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

  async findByTlsMatchKey(keys: readonly string[]): Promise<ClientRecord | null> {
    if (keys.length === 0) return null;
    const rows = await this.db
      .selectFrom('clients')
      .selectAll()
      .where('tls_match_key', 'in', [...keys])
      .execute();
    for (const key of keys) {
      const row = rows.find((candidate) => candidate.tls_match_key === key);
      if (row !== undefined) return fromRow(row);
    }
    return null;
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
    dpop_bound_access_tokens: client.dpopBoundAccessTokens ? 1 : 0,
    tls_subject_dn: client.tlsSubject?.dn ?? null,
    tls_san: client.tlsSubject?.san ?? null,
    tls_match_key: client.tlsSubject?.matchKey ?? null,
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
    dpopBoundAccessTokens: row.dpop_bound_access_tokens === 1,
    tlsSubject:
      row.tls_match_key === null
        ? null
        : { dn: row.tls_subject_dn, san: row.tls_san, matchKey: row.tls_match_key },
  };
}
