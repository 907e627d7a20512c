import type { Generated } from 'kysely';

/**
 * The tables. Times are seconds since the epoch; lists are JSON arrays in text columns;
 * booleans are 0/1 (SQLite has no boolean). Secrets appear only as keyed hashes, and private
 * key material only sealed under the master key.
 */
export interface Tables {
  clients: ClientRow;
  resource_servers: ResourceServerRow;
  signing_keys: SigningKeyRow;
  opaque_tokens: OpaqueTokenRow;
  revocations: RevocationRow;
  api_keys: ApiKeyRow;
  hmac_credentials: HmacCredentialRow;
  users: UserRow;
  sessions: SessionRow;
  consents: ConsentRow;
  grants: GrantRow;
  refresh_tokens: RefreshTokenRow;
  grant_access_tokens: GrantAccessTokenRow;
}

export interface ClientRow {
  id: string;
  name: string;
  secret_hash: string | null;
  auth_method: string;
  grant_types: string;
  scopes: string;
  redirect_uris: string;
  audiences: string;
  token_format: string | null;
  access_token_ttl: number | null;
  resource_server: number;
  jwks: string | null;
  created_at: number;
  post_logout_redirect_uris: string;
  refresh_token_grace: number | null;
  dpop_bound_access_tokens: number;
  tls_subject_dn: string | null;
  tls_san: string | null;
  tls_match_key: string | null;
}

export interface ResourceServerRow {
  id: string;
  audience: string;
  scopes: string;
  token_format: string;
  token_ttl: number | null;
  alg: string;
  secret_sealed: string | null;
  created_at: number;
}

export interface SigningKeyRow {
  kid: string;
  alg: string;
  public_jwk: string;
  private_jwk_sealed: string;
  created_at: number;
  active_at: number;
  expires_at: number | null;
}

export interface OpaqueTokenRow {
  hash: string;
  jti: string;
  client_id: string;
  subject: string;
  audience: string;
  scope: string;
  issued_at: number;
  expires_at: number;
  revoked_at: number | null;
  confirmation: string | null;
  actor: string | null;
}

export interface RevocationRow {
  seq: Generated<number>;
  kind: string;
  value: string;
  revoked_at: number;
  expires_at: number;
}

export interface ApiKeyRow {
  id: string;
  name: string;
  hash: string;
  display_prefix: string;
  env: string;
  scopes: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
  successor_id: string | null;
  rate_limit: number | null;
}

export interface HmacCredentialRow {
  access_key_id: string;
  name: string;
  scopes: string;
  secret_sealed: string;
  created_at: number;
  revoked_at: number | null;
}

export interface UserRow {
  id: string;
  username: string;
  username_key: string;
  password_hash: string;
  email: string | null;
  name: string | null;
  created_at: number;
}

export interface SessionRow {
  hash: string;
  id: string;
  user_id: string;
  auth_time: number;
  created_at: number;
  expires_at: number;
}

export interface ConsentRow {
  user_id: string;
  client_id: string;
  audience: string;
  scopes: string;
  granted_at: number;
}

export interface GrantRow {
  id: string;
  user_id: string;
  client_id: string;
  scopes: string;
  audience: string;
  redirect_uri: string | null;
  code_hash: string;
  code_challenge: string;
  code_expires_at: number;
  code_used_at: number | null;
  nonce: string | null;
  auth_time: number;
  session_id: string | null;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  dpop_jkt: string | null;
}

export interface RefreshTokenRow {
  hash: string;
  grant_id: string;
  created_at: number;
  expires_at: number;
  rotated_at: number | null;
}

export interface GrantAccessTokenRow {
  jti: string;
  grant_id: string;
  expires_at: number;
}
