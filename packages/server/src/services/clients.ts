import { createLocalJWKSet } from 'jose';
import type { ClientRecord, ClientStore, TokenFormat } from '../store/client-store.js';
import { ExpiringCache } from './expiring-cache.js';
import { newIdentifier } from './identifiers.js';
import { SecretKind, type SecretMinter } from './minted-secret.js';
import type { Revocations } from './revocations.js';
import { ValidationError } from './validation-error.js';

export const GRANT_TYPES = [
  'client_credentials',
  'authorization_code',
  'refresh_token',
  'urn:ietf:params:oauth:grant-type:token-exchange',
] as const;
export const AUTH_METHODS = [
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
  'tls_client_auth',
  'none',
] as const;
/** The methods the token endpoint can check today. */
export const SUPPORTED_AUTH_METHODS: readonly string[] = [
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
  'none',
];
/** The longest refresh-token grace period a client may ask for. */
export const MAX_REFRESH_TOKEN_GRACE = 60;
const SECRET_METHODS: readonly string[] = ['client_secret_basic', 'client_secret_post'];
/** A client read from the store is trusted this long; deletion evicts it sooner. */
const CACHE_SECONDS = 30;
/**
 * A deletion revokes the client's tokens issued up to this long after it: other server
 * instances may still issue some before the revocation feed reaches them.
 */
const DELETION_GRACE_SECONDS = 5;

export interface CreateClientInput {
  name: string;
  grantTypes: readonly string[];
  scopes?: readonly string[];
  redirectUris?: readonly string[];
  authMethod?: string;
  tokenFormat?: TokenFormat;
  audiences?: readonly string[];
  resourceServer?: boolean;
  accessTokenTtl?: number;
  jwks?: { keys: object[] };
  postLogoutRedirectUris?: readonly string[];
  /** Seconds in which a just-rotated refresh token yields the same successor. */
  refreshTokenGrace?: number;
}

/** OAuth clients: registration, lookup, and the checks a registration must pass. */
export class ClientService {
  private readonly cache: ExpiringCache<string, ClientRecord>;

  constructor(
    private readonly store: ClientStore,
    private readonly revocations: Revocations,
    private readonly minter: SecretMinter,
    private readonly now: () => number,
    private readonly maxAccessTokenTtl: number,
  ) {
    this.cache = new ExpiringCache(10_000, now);
  }

  /** Registers a client; its secret (for the secret methods) is returned only here. */
  async create(input: CreateClientInput): Promise<{ client: ClientRecord; secret?: string }> {
    const authMethod = input.authMethod ?? 'client_secret_basic';
    this.validate(input, authMethod);
    const secret = SECRET_METHODS.includes(authMethod)
      ? this.minter.mint(SecretKind.clientSecret)
      : undefined;
    const client: ClientRecord = {
      id: newIdentifier('cli'),
      name: input.name,
      secretHash: secret === undefined ? null : this.minter.hash(secret),
      authMethod,
      grantTypes: [...new Set(input.grantTypes)],
      scopes: [...new Set(input.scopes ?? [])],
      redirectUris: [...new Set(input.redirectUris ?? [])],
      audiences: [...new Set(input.audiences ?? [])],
      tokenFormat: input.tokenFormat ?? null,
      accessTokenTtl: input.accessTokenTtl ?? null,
      resourceServer: input.resourceServer ?? false,
      jwks: input.jwks ?? null,
      createdAt: this.now(),
      postLogoutRedirectUris: [...new Set(input.postLogoutRedirectUris ?? [])],
      refreshTokenGrace: input.refreshTokenGrace ?? null,
    };
    await this.store.insert(client);
    return secret === undefined ? { client } : { client, secret };
  }

  /** The client, from memory when it was read in the last few seconds. */
  async find(id: string): Promise<ClientRecord | null> {
    const cached = this.cache.get(id);
    if (cached !== undefined) return cached;
    const client = await this.store.findById(id);
    if (client !== null) this.cache.set(id, client, this.now() + CACHE_SECONDS);
    return client;
  }

  /** Forgets a cached client, when the revocation feed says it was deleted elsewhere. */
  forget(id: string): void {
    this.cache.delete(id);
  }

  list(): Promise<ClientRecord[]> {
    return this.store.list();
  }

  /**
   * Deletes a client and revokes every token it holds: the revocation feed tells verifiers
   * to deny them, until the last one would have expired anyway.
   */
  async delete(id: string): Promise<boolean> {
    if (!(await this.store.delete(id))) return false;
    this.cache.delete(id);
    const revokedAt = this.now() + DELETION_GRACE_SECONDS;
    const event = {
      kind: 'client',
      value: id,
      revokedAt,
      expiresAt: revokedAt + this.maxAccessTokenTtl + 60,
    } as const;
    await this.revocations.record(event);
    return true;
  }

  private validate(input: CreateClientInput, authMethod: string): void {
    if (input.name.trim() === '') throw new ValidationError('name must not be empty');
    if (input.grantTypes.length === 0) throw new ValidationError('a client needs at least one grant type');
    for (const grant of input.grantTypes) {
      if (!(GRANT_TYPES as readonly string[]).includes(grant)) {
        throw new ValidationError(`unknown grant type ${grant}; one of: ${GRANT_TYPES.join(', ')}`);
      }
    }
    if (!(AUTH_METHODS as readonly string[]).includes(authMethod)) {
      throw new ValidationError(`unknown auth method ${authMethod}; one of: ${AUTH_METHODS.join(', ')}`);
    }
    if (!SUPPORTED_AUTH_METHODS.includes(authMethod)) {
      throw new ValidationError(`auth method ${authMethod} is not supported yet`);
    }
    if (authMethod === 'private_key_jwt') {
      if (input.jwks === undefined)
        throw new ValidationError('private_key_jwt needs the client public keys (--jwks)');
      this.validateJwks(input.jwks);
    }
    if (authMethod === 'none' && input.grantTypes.includes('client_credentials')) {
      throw new ValidationError('a public client (auth method none) cannot use client_credentials');
    }
    if (authMethod === 'none' && input.resourceServer === true) {
      throw new ValidationError('a public client (auth method none) cannot be a resource server');
    }
    if (input.grantTypes.includes('authorization_code') && (input.redirectUris ?? []).length === 0) {
      throw new ValidationError('an authorization_code client needs at least one --redirect-uri');
    }
    for (const uri of [...(input.redirectUris ?? []), ...(input.postLogoutRedirectUris ?? [])]) {
      const problem = redirectUriProblem(uri);
      if (problem !== undefined) throw new ValidationError(`redirect URI ${uri} ${problem}`);
    }
    if (
      input.refreshTokenGrace !== undefined &&
      !(input.refreshTokenGrace > 0 && input.refreshTokenGrace <= MAX_REFRESH_TOKEN_GRACE)
    ) {
      throw new ValidationError(`refresh token grace must be between 1s and ${MAX_REFRESH_TOKEN_GRACE}s`);
    }
    if (
      input.accessTokenTtl !== undefined &&
      !(input.accessTokenTtl > 0 && input.accessTokenTtl <= this.maxAccessTokenTtl)
    ) {
      throw new ValidationError(`access token lifetime must be between 1s and ${this.maxAccessTokenTtl}s`);
    }
  }

  private validateJwks(jwks: { keys: object[] }): void {
    if (!Array.isArray(jwks.keys) || jwks.keys.length === 0)
      throw new ValidationError('the JWKS has no keys');
    for (const key of jwks.keys as Record<string, unknown>[]) {
      if ('d' in key || 'k' in key || 'p' in key) {
        throw new ValidationError(
          'the JWKS must hold public keys only; it contains private or secret key material',
        );
      }
    }
    try {
      createLocalJWKSet(jwks as Parameters<typeof createLocalJWKSet>[0]);
    } catch {
      throw new ValidationError('the JWKS is not a valid JSON Web Key Set');
    }
  }
}

const LOOPBACK_HOSTS = ['127.0.0.1', '[::1]', 'localhost'];

/**
 * Why a redirect URI cannot be registered, or undefined when it can: absolute, no fragment
 * (RFC 6749 §3.1.2), and plain http only to a loopback address (RFC 8252 §7.3); private-use
 * schemes of native apps (RFC 8252 §7.1) are allowed.
 */
function redirectUriProblem(uri: string): string | undefined {
  if (!URL.canParse(uri)) return 'must be an absolute URI';
  const url = new URL(uri);
  if (url.hash !== '' || uri.includes('#')) return 'must not have a fragment';
  if (url.username !== '' || url.password !== '') return 'must not hold credentials';
  if (url.protocol === 'http:' && !LOOPBACK_HOSTS.includes(url.hostname)) {
    return 'must use https (plain http only to a loopback address)';
  }
  if (['javascript:', 'data:', 'file:', 'vbscript:'].includes(url.protocol)) return 'has a forbidden scheme';
  return undefined;
}
