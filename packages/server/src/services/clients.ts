import { parseDistinguishedName, parseSubjectAltName, subjectAltNameKey } from '@tessera/core';
import { createLocalJWKSet } from 'jose';
import type { ClientRecord, ClientStore, TlsSubject, TokenFormat } from '../store/client-store.js';
import { ExpiringCache } from './expiring-cache.js';
import { TOKEN_EXCHANGE_GRANT } from './grants/token-exchange.js';
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
  'self_signed_tls_client_auth',
  'none',
] as const;
/** The methods the token endpoint can check today. */
export const SUPPORTED_AUTH_METHODS: readonly string[] = [
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
  'tls_client_auth',
  'self_signed_tls_client_auth',
  'none',
];
/** RFC 8705 §2: the client proves itself with the certificate of its TLS connection. */
export const TLS_AUTH_METHODS: readonly string[] = ['tls_client_auth', 'self_signed_tls_client_auth'];
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
  /** Require a DPoP proof on every token request (RFC 9449 §5.2). */
  dpopBoundAccessTokens?: boolean;
  /** The certificate subject of a `tls_client_auth` client (RFC 4514), or… */
  tlsSubjectDn?: string;
  /** …one of its alternative names, `dns:…`, `uri:…`, `ip:…` or `email:…` (RFC 8705 §2.1.2). */
  tlsSan?: string;
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
    const tlsSubject = this.tlsSubject(input, authMethod);
    if (tlsSubject !== null && (await this.store.findByTlsMatchKey([tlsSubject.matchKey])) !== null) {
      throw new ValidationError('another client is registered for this certificate subject');
    }
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
      dpopBoundAccessTokens: input.dpopBoundAccessTokens ?? false,
      tlsSubject,
    };
    await this.store.insert(client);
    return secret === undefined ? { client } : { client, secret };
  }

  /** The client, from memory when it was read in the last few seconds. */
  async find(id: string): Promise<ClientRecord | null> {
    // No client id holds a NUL byte, and PostgreSQL would refuse to compare one.
    if (id.includes('\u0000')) return null;
    const cached = this.cache.get(id);
    if (cached !== undefined) return cached;
    const client = await this.store.findById(id);
    if (client !== null) this.cache.set(id, client, this.now() + CACHE_SECONDS);
    return client;
  }

  /**
   * The `tls_client_auth` client registered for a certificate, by the match keys of its
   * names (`certificateNames` in core): its subject DN first, then its alternative names.
   */
  findByCertificateNames(matchKeys: readonly string[]): Promise<ClientRecord | null> {
    return this.store.findByTlsMatchKey(matchKeys);
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
    if (authMethod === 'self_signed_tls_client_auth') {
      if (input.jwks === undefined) {
        throw new ValidationError(
          'self_signed_tls_client_auth needs the public keys of the client certificates (--jwks)',
        );
      }
      this.validateJwks(input.jwks);
    }
    if (authMethod === 'none' && input.grantTypes.includes('client_credentials')) {
      throw new ValidationError('a public client (auth method none) cannot use client_credentials');
    }
    // The exchanging client is the actor an exchanged token names: it must prove who it is.
    if (authMethod === 'none' && input.grantTypes.includes(TOKEN_EXCHANGE_GRANT)) {
      throw new ValidationError('a public client (auth method none) cannot exchange tokens');
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

  /** The certificate subject of a tls_client_auth client: exactly one DN or alternative name. */
  private tlsSubject(input: CreateClientInput, authMethod: string): TlsSubject | null {
    const { tlsSubjectDn, tlsSan } = input;
    if (authMethod !== 'tls_client_auth') {
      if (tlsSubjectDn !== undefined || tlsSan !== undefined) {
        throw new ValidationError(
          'a certificate subject (--tls-subject-dn, --tls-san) is for tls_client_auth',
        );
      }
      return null;
    }
    if ((tlsSubjectDn === undefined) === (tlsSan === undefined)) {
      throw new ValidationError(
        'tls_client_auth needs the certificate subject: one --tls-subject-dn or one --tls-san',
      );
    }
    if (tlsSubjectDn !== undefined) {
      const parsed = parseDistinguishedName(tlsSubjectDn);
      if (parsed === null) {
        throw new ValidationError(
          'the certificate subject must be an RFC 4514 distinguished name, such as CN=orders-service,O=Example',
        );
      }
      return { dn: parsed.dn, san: null, matchKey: parsed.matchKey };
    }
    const san = parseSubjectAltName(tlsSan ?? '');
    if (san === null) {
      throw new ValidationError(
        'the alternative name must be dns:NAME, uri:URI, ip:ADDRESS or email:ADDRESS',
      );
    }
    return { dn: null, san: `${san.type}:${san.value}`, matchKey: subjectAltNameKey(san) };
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
  // RFC 8252 §7.1: a native app's own scheme is a reversed domain name it controls.
  if (url.protocol !== 'https:' && url.protocol !== 'http:' && !url.protocol.slice(0, -1).includes('.')) {
    return 'must use https, or a private-use scheme named after a domain (com.example.app:/callback)';
  }
  return undefined;
}
