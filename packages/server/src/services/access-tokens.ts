import { type CryptoKey, importJWK, type JWTPayload, jwtVerify, type KeyObject } from 'jose';
import type { ClientRecord } from '../store/client-store.js';
import type { ResourceServerRecord } from '../store/resource-server-store.js';
import type { OpaqueTokenRecord, TokenStore } from '../store/token-store.js';
import { ExpiringCache } from './expiring-cache.js';
import { newIdentifier } from './identifiers.js';
import { signCompactJws } from './jws-signer.js';
import { SecretKind, type SecretMinter } from './minted-secret.js';
import type { ResourceServerService } from './resource-servers.js';
import type { Revocations } from './revocations.js';
import { CLOCK_TOLERANCE_SECONDS, type SigningKeyService } from './signing-keys.js';

/** The claims of an access token, JWT (RFC 9068) or opaque alike. */
export interface AccessTokenClaims {
  readonly iss: string;
  readonly sub: string;
  readonly aud: string | string[];
  readonly client_id: string;
  readonly scope: string;
  readonly exp: number;
  readonly iat: number;
  readonly jti: string;
  /** RFC 7800 confirmation: the key (`jkt`, RFC 9449) or certificate (`x5t#S256`, RFC 8705) it is bound to. */
  readonly cnf?: Confirmation;
  /** RFC 8693 §4.1: the party acting for the subject, and who acted before it. */
  readonly act?: Actor;
}

export type Confirmation = Readonly<{ jkt?: string; 'x5t#S256'?: string }>;
export type Actor = Readonly<{ sub: string; act?: Actor }>;

/** The binding of a token request: its DPoP key and the client certificate it authenticated with. */
export function confirmationOf(
  dpopJkt: string | undefined,
  certificateThumbprint: string | undefined,
): Confirmation | undefined {
  if (dpopJkt === undefined && certificateThumbprint === undefined) return undefined;
  return {
    ...(dpopJkt === undefined ? {} : { jkt: dpopJkt }),
    ...(certificateThumbprint === undefined ? {} : { 'x5t#S256': certificateThumbprint }),
  };
}

export interface IssuedAccessToken {
  readonly accessToken: string;
  readonly expiresIn: number;
  readonly scope: string;
  readonly jti: string;
  readonly expiresAt: number;
}

export interface IssueAccessTokenInput {
  readonly client: ClientRecord;
  readonly subject: string;
  readonly audience: string;
  readonly scopes: readonly string[];
  /** The API registered for the audience, if any: it sets format, lifetime and algorithm. */
  readonly api: ResourceServerRecord | null;
  /** Binds the token to a key or certificate. */
  readonly confirmation?: Confirmation | undefined;
  readonly actor?: Actor | undefined;
  /** Caps the lifetime (an exchanged token never outlives the token it came from). */
  readonly notAfter?: number | undefined;
}

export type RevokeOutcome = 'revoked' | 'unknown' | 'not-owner';

export interface AccessTokenServiceOptions {
  issuer: string;
  signingKeys: SigningKeyService;
  resourceServers: ResourceServerService;
  tokens: TokenStore;
  /** The revocations in force, kept in step with the store by the server. */
  revocations: Revocations;
  minter: SecretMinter;
  now: () => number;
  defaultTtl: number;
}

const VERIFY_ALGS = ['ES256', 'RS256', 'EdDSA', 'HS256'];
/** How many checked tokens introspection remembers; each is forgotten at its `exp`. */
const CHECKED_TOKENS = 10_000;

type FoundToken =
  | { readonly kind: 'jwt'; readonly claims: AccessTokenClaims }
  | { readonly kind: 'opaque'; readonly hash: string; readonly claims: AccessTokenClaims };

/** Issues access tokens, and answers for them: introspection and revocation. */
export class AccessTokenService {
  private readonly importedKeys = new Map<string, CryptoKey | KeyObject | Uint8Array>();
  /** Tokens already checked, by their whole value: signature and lookup are done once. */
  private readonly checked: ExpiringCache<string, FoundToken>;

  constructor(private readonly options: AccessTokenServiceOptions) {
    this.checked = new ExpiringCache(CHECKED_TOKENS, options.now);
  }

  async issue(input: IssueAccessTokenInput): Promise<IssuedAccessToken> {
    const { client, api } = input;
    const now = this.options.now();
    const format = client.tokenFormat ?? api?.tokenFormat ?? 'jwt';
    const key = format === 'jwt' ? this.options.resourceServers.signingKeyFor(api) : undefined;
    if (format === 'jwt' && key === undefined)
      throw new Error(`no signing key in service for ${api?.alg ?? 'ES256'}`);
    let ttl = client.accessTokenTtl ?? api?.tokenTtl ?? this.options.defaultTtl;
    if (input.notAfter !== undefined) ttl = Math.max(1, Math.min(ttl, input.notAfter - now));
    // A key being replaced leaves the JWKS at `retiresAt`: no token it signs may outlive it.
    if (key?.retiresAt != null)
      ttl = Math.max(1, Math.min(ttl, key.retiresAt - CLOCK_TOLERANCE_SECONDS - now));
    const claims: AccessTokenClaims = {
      iss: this.options.issuer,
      sub: input.subject,
      aud: input.audience,
      client_id: client.id,
      scope: input.scopes.join(' '),
      exp: now + ttl,
      iat: now,
      jti: newIdentifier('jti'),
      ...(input.confirmation === undefined ? {} : { cnf: input.confirmation }),
      ...(input.actor === undefined ? {} : { act: input.actor }),
    };
    const accessToken =
      key === undefined ? await this.storeOpaque(claims) : signCompactJws({ typ: 'at+jwt' }, claims, key);
    return { accessToken, expiresIn: ttl, scope: claims.scope, jti: claims.jti, expiresAt: claims.exp };
  }

  /** The claims of an active token, or null for one that is unknown, expired, revoked or forged. */
  async introspect(token: string): Promise<AccessTokenClaims | null> {
    const found = await this.find(token);
    if (found === null || found.claims.exp <= this.options.now()) return null;
    const { jti, client_id: clientId, sub: subject, iat: issuedAt } = found.claims;
    if (this.options.revocations.isRevoked({ jti, clientId, subject, issuedAt }, this.options.now()))
      return null;
    return found.claims;
  }

  /** Revokes a token issued to `clientId` (RFC 7009); others' tokens are left alone. */
  async revoke(token: string, clientId: string): Promise<RevokeOutcome> {
    const found = await this.find(token);
    if (found === null || found.claims.exp <= this.options.now()) return 'unknown';
    if (found.claims.client_id !== clientId) return 'not-owner';
    const event = {
      kind: 'token',
      value: found.claims.jti,
      revokedAt: this.options.now(),
      expiresAt: found.claims.exp,
    } as const;
    await this.options.revocations.record(event, found.kind === 'opaque' ? found.hash : undefined);
    return 'revoked';
  }

  private async storeOpaque(claims: AccessTokenClaims): Promise<string> {
    const token = this.options.minter.mint(SecretKind.opaqueAccessToken);
    await this.options.tokens.insertOpaque({
      hash: this.options.minter.hash(token),
      jti: claims.jti,
      clientId: claims.client_id,
      subject: claims.sub,
      audience: typeof claims.aud === 'string' ? [claims.aud] : claims.aud,
      scope: claims.scope,
      issuedAt: claims.iat,
      expiresAt: claims.exp,
      revokedAt: null,
      confirmation: claims.cnf ?? null,
      actor: claims.act ?? null,
    });
    return token;
  }

  /** The token and its claims if we issued it, whether or not it has expired or was revoked. */
  private async find(token: string): Promise<FoundToken | null> {
    const cached = this.checked.get(token);
    if (cached !== undefined) return cached;
    const found = await this.lookUp(token);
    if (found !== null) this.checked.set(token, found, found.claims.exp);
    return found;
  }

  private async lookUp(token: string): Promise<FoundToken | null> {
    const { minter } = this.options;
    if (minter.isAuthentic(token, SecretKind.opaqueAccessToken)) {
      const hash = minter.hash(token);
      const record = await this.options.tokens.findOpaque(hash);
      // A revoked opaque token is also in the revocation list, which is what introspection asks.
      return record === null ? null : { kind: 'opaque', hash, claims: this.opaqueClaims(record) };
    }
    const claims = await this.verifyOwnJwt(token);
    return claims === null ? null : { kind: 'jwt', claims };
  }

  private opaqueClaims(record: OpaqueTokenRecord): AccessTokenClaims {
    const [only, ...more] = record.audience;
    return {
      iss: this.options.issuer,
      sub: record.subject,
      aud: only !== undefined && more.length === 0 ? only : [...record.audience],
      client_id: record.clientId,
      scope: record.scope,
      exp: record.expiresAt,
      iat: record.issuedAt,
      jti: record.jti,
      ...(record.confirmation === null ? {} : { cnf: record.confirmation }),
      ...(record.actor === null ? {} : { act: record.actor as Actor }),
    };
  }

  /** Checks a JWT this server issued; expiry is judged by the caller. */
  private async verifyOwnJwt(token: string): Promise<AccessTokenClaims | null> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, (header) => this.keyFor(header.kid, header.alg), {
        issuer: this.options.issuer,
        typ: 'at+jwt',
        algorithms: VERIFY_ALGS,
        requiredClaims: ['sub', 'aud', 'exp', 'iat', 'jti', 'client_id'],
        // Expiry is the caller's to judge, against its own clock.
        currentDate: new Date(0),
      }));
    } catch {
      return null;
    }
    const { sub, aud, client_id, scope, exp, iat, jti, cnf, act } = payload;
    if (typeof client_id !== 'string' || typeof sub !== 'string' || typeof jti !== 'string') return null;
    if (typeof exp !== 'number' || typeof iat !== 'number' || aud === undefined) return null;
    return {
      iss: this.options.issuer,
      sub,
      aud,
      client_id,
      scope: typeof scope === 'string' ? scope : '',
      exp,
      iat,
      jti,
      ...(isObject(cnf) ? { cnf: cnf as Confirmation } : {}),
      ...(isObject(act) ? { act: act as Actor } : {}),
    };
  }

  private async keyFor(
    kid: string | undefined,
    alg: string | undefined,
  ): Promise<CryptoKey | KeyObject | Uint8Array> {
    if (kid === undefined || alg === undefined) throw new Error('token has no kid');
    const published = this.options.signingKeys.verificationKey(kid);
    if (published !== undefined) {
      if (published.alg !== alg) throw new Error('alg does not match the key');
      let key = this.importedKeys.get(kid);
      if (key === undefined) {
        key = await importJWK(published.publicJwk, alg);
        this.importedKeys.set(kid, key);
      }
      return key;
    }
    const hmac = alg === 'HS256' ? await this.options.resourceServers.hmacKeyById(kid) : undefined;
    if (hmac === undefined) throw new Error('unknown kid');
    return hmac.key;
  }
}

const isObject = (value: unknown): value is object =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
