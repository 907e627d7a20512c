import {
  certificateNames,
  ErrorCode,
  fail,
  InvalidClient,
  InvalidRequest,
  jwkThumbprint,
  ok,
  parseAuthorization,
  parseBasicClientCredentials,
  type Result,
} from '@tessera/core';
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import type { ClientRecord } from '../store/client-store.js';
import type { EphemeralStore } from '../store/ephemeral-store.js';
import { certificatePublicJwk, isCurrent, type PresentedCertificate } from './client-certificates.js';
import type { ClientService } from './clients.js';
import { ExpiringCache } from './expiring-cache.js';
import { SecretKind, type SecretMinter } from './minted-secret.js';
import { CLOCK_TOLERANCE_SECONDS } from './signing-keys.js';

export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Algorithms a client may sign its assertion with: asymmetric only, so no shared secret. */
export const CLIENT_ASSERTION_ALGS = ['ES256', 'ES384', 'PS256', 'RS256', 'EdDSA'];
/** An assertion valid for longer than this is refused: it would be a long-lived credential. */
const MAX_ASSERTION_LIFETIME_SECONDS = 600;
/** Basic credentials checked within this long are not parsed and hashed again. */
const RECENT_BASIC_SECONDS = 10;

/** What a request to the token, introspection or revocation endpoint presented. */
export interface PresentedClientCredentials {
  readonly authorization: string | undefined;
  readonly clientId: string | undefined;
  readonly clientSecret: string | undefined;
  readonly clientAssertionType: string | undefined;
  readonly clientAssertion: string | undefined;
  /** The client certificate of the connection, for `tls_client_auth` and `self_signed_tls_client_auth`. */
  readonly certificate?: PresentedCertificate | undefined;
}

export interface ClientAuthenticatorOptions {
  clients: ClientService;
  minter: SecretMinter;
  replayCache: EphemeralStore;
  issuer: string;
  tokenEndpoint: string;
  now: () => number;
}

type Method = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none';
type AuthFailure = InvalidClient | InvalidRequest;

const rejected = (code: (typeof ErrorCode)[keyof typeof ErrorCode], detail: string) =>
  fail(new InvalidClient(code, 'Client authentication failed.', { detail }));

/**
 * Authenticates the client of a request by exactly one method (RFC 6749 §2.3): HTTP Basic,
 * a secret in the form body, or a signed JWT (RFC 7523) whose `jti` is never accepted twice.
 * Every failure gets the same public answer, so it never tells whether a client exists.
 */
export class ClientAuthenticator {
  /**
   * Basic credentials verified lately, by the header's exact value, to the client id they
   * proved. A hit still reads the client, so a deleted client fails at once.
   */
  private readonly recentBasic: ExpiringCache<string, string>;

  constructor(private readonly options: ClientAuthenticatorOptions) {
    this.recentBasic = new ExpiringCache(10_000, options.now);
  }

  async authenticate(presented: PresentedClientCredentials): Promise<Result<ClientRecord, AuthFailure>> {
    const methods: Method[] = [];
    if (presented.authorization !== undefined) methods.push('client_secret_basic');
    if (presented.clientSecret !== undefined) methods.push('client_secret_post');
    if (presented.clientAssertion !== undefined || presented.clientAssertionType !== undefined) {
      methods.push('private_key_jwt');
    }
    if (methods.length > 1) {
      return fail(
        new InvalidRequest(ErrorCode.CLIENT_AUTH_MULTIPLE, 'Use exactly one client authentication method.'),
      );
    }
    const method = methods[0] ?? (presented.clientId === undefined ? undefined : 'none');
    switch (method) {
      case undefined:
        return rejected(ErrorCode.CLIENT_AUTH_MISSING, 'no client authentication presented');
      case 'client_secret_basic':
        return this.basic(presented);
      case 'client_secret_post':
        return this.withSecret('client_secret_post', presented.clientId, presented.clientSecret ?? '');
      case 'private_key_jwt':
        return this.assertion(presented);
      case 'none':
        return this.byClientId(presented.clientId ?? '', presented.certificate);
    }
  }

  private async basic(presented: PresentedClientCredentials): Promise<Result<ClientRecord, AuthFailure>> {
    const header = presented.authorization ?? '';
    const remembered = this.recentBasic.get(header);
    if (remembered !== undefined && (presented.clientId === undefined || presented.clientId === remembered)) {
      const client = await this.options.clients.find(remembered);
      if (client?.authMethod === 'client_secret_basic') return ok(client);
    }
    const parsed = parseAuthorization(header);
    const credentials = parsed?.scheme === 'basic' ? parseBasicClientCredentials(parsed.token68) : null;
    if (credentials === null) {
      return rejected(ErrorCode.CLIENT_AUTH_METHOD, 'Authorization header is not valid Basic credentials');
    }
    if (presented.clientId !== undefined && presented.clientId !== credentials.clientId) {
      return fail(
        new InvalidRequest(ErrorCode.PARAM_INVALID, 'client_id does not match the authenticated client.'),
      );
    }
    const result = await this.withSecret(
      'client_secret_basic',
      credentials.clientId,
      credentials.clientSecret,
    );
    if (result.ok) this.recentBasic.set(header, result.value.id, this.options.now() + RECENT_BASIC_SECONDS);
    return result;
  }

  private async withSecret(
    method: Method,
    clientId: string | undefined,
    secret: string,
  ): Promise<Result<ClientRecord, AuthFailure>> {
    if (clientId === undefined) {
      return fail(new InvalidRequest(ErrorCode.PARAM_MISSING, 'client_id is required with client_secret.'));
    }
    // A secret we did not mint fails its MAC: refused before any database lookup.
    if (!this.options.minter.isAuthentic(secret, SecretKind.clientSecret)) {
      return rejected(ErrorCode.CLIENT_SECRET_MISMATCH, 'client secret is not one this server minted');
    }
    const client = await this.options.clients.find(clientId);
    if (client === null) return rejected(ErrorCode.CLIENT_UNKNOWN, 'unknown client');
    if (client.authMethod !== method) {
      return rejected(
        ErrorCode.CLIENT_AUTH_METHOD,
        `client is registered for ${client.authMethod}, used ${method}`,
      );
    }
    if (client.secretHash === null || !this.options.minter.matchesHash(secret, client.secretHash)) {
      return rejected(ErrorCode.CLIENT_SECRET_MISMATCH, 'client secret does not match');
    }
    return ok(client);
  }

  private async assertion(presented: PresentedClientCredentials): Promise<Result<ClientRecord, AuthFailure>> {
    const { clientAssertion, clientAssertionType } = presented;
    if (clientAssertion === undefined || clientAssertionType === undefined) {
      return fail(
        new InvalidRequest(
          ErrorCode.PARAM_MISSING,
          'client_assertion and client_assertion_type are required together.',
        ),
      );
    }
    if (clientAssertionType !== JWT_BEARER_ASSERTION) {
      return rejected(ErrorCode.CLIENT_ASSERTION_INVALID, 'unsupported client_assertion_type');
    }
    let claimedId: unknown;
    try {
      claimedId = decodeJwt(clientAssertion).sub;
    } catch {
      return rejected(ErrorCode.CLIENT_ASSERTION_INVALID, 'client_assertion is not a JWT');
    }
    if (
      typeof claimedId !== 'string' ||
      (presented.clientId !== undefined && presented.clientId !== claimedId)
    ) {
      return rejected(
        ErrorCode.CLIENT_ASSERTION_INVALID,
        'client_assertion sub is missing or differs from client_id',
      );
    }
    const client = await this.options.clients.find(claimedId);
    if (client === null) return rejected(ErrorCode.CLIENT_UNKNOWN, 'unknown client');
    if (client.authMethod !== 'private_key_jwt' || client.jwks === null) {
      return rejected(ErrorCode.CLIENT_AUTH_METHOD, `client is registered for ${client.authMethod}`);
    }
    const now = this.options.now();
    let claims: { jti?: unknown; exp?: unknown };
    try {
      ({ payload: claims } = await jwtVerify(
        clientAssertion,
        createLocalJWKSet(client.jwks as Parameters<typeof createLocalJWKSet>[0]),
        {
          issuer: client.id,
          subject: client.id,
          audience: [this.options.issuer, this.options.tokenEndpoint],
          algorithms: CLIENT_ASSERTION_ALGS,
          requiredClaims: ['exp', 'jti'],
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          currentDate: new Date(now * 1000),
        },
      ));
    } catch {
      return rejected(ErrorCode.CLIENT_ASSERTION_INVALID, 'client_assertion failed verification');
    }
    const { jti, exp } = claims;
    if (typeof jti !== 'string' || typeof exp !== 'number' || exp - now > MAX_ASSERTION_LIFETIME_SECONDS) {
      return rejected(ErrorCode.CLIENT_ASSERTION_INVALID, 'client_assertion jti or exp is unacceptable');
    }
    const firstUse = await this.options.replayCache.setIfAbsent(
      `client-assertion:${client.id}:${jti}`,
      Math.max(1, exp - now + CLOCK_TOLERANCE_SECONDS),
    );
    if (!firstUse)
      return rejected(ErrorCode.CLIENT_ASSERTION_REPLAYED, 'client_assertion jti was already used');
    return ok(client);
  }

  /**
   * A request naming its client and nothing else: a public client, or one that proves
   * itself with the certificate of its TLS connection (RFC 8705 §2).
   */
  private async byClientId(
    clientId: string,
    certificate: PresentedCertificate | undefined,
  ): Promise<Result<ClientRecord, AuthFailure>> {
    const client = await this.options.clients.find(clientId);
    if (client === null) return rejected(ErrorCode.CLIENT_UNKNOWN, 'unknown client');
    if (client.authMethod === 'none') return ok(client);
    if (client.authMethod === 'tls_client_auth' || client.authMethod === 'self_signed_tls_client_auth') {
      if (certificate === undefined) {
        return rejected(
          ErrorCode.CLIENT_CERTIFICATE_MISSING,
          `${client.authMethod} client sent no certificate`,
        );
      }
      return client.authMethod === 'tls_client_auth'
        ? this.caIssuedCertificate(client, certificate)
        : this.selfSignedCertificate(client, certificate);
    }
    return rejected(ErrorCode.CLIENT_AUTH_MISSING, 'confidential client presented no credentials');
  }

  /** RFC 8705 §2.1: a certificate from a trusted CA, naming the registered subject. */
  private caIssuedCertificate(
    client: ClientRecord,
    certificate: PresentedCertificate,
  ): Result<ClientRecord, AuthFailure> {
    // `trusted`: the chain leads to the client CA, and every certificate of it is current.
    if (!certificate.trusted) {
      return rejected(
        ErrorCode.CLIENT_CERTIFICATE_UNTRUSTED,
        'client certificate does not chain to the client CA, or is not within its validity period',
      );
    }
    const matchKeys = certificateNames(certificate.der)?.matchKeys ?? [];
    if (client.tlsSubject === null || !matchKeys.includes(client.tlsSubject.matchKey)) {
      return rejected(ErrorCode.CLIENT_CERTIFICATE_MISMATCH, 'client certificate names another subject');
    }
    return ok(client);
  }

  /** RFC 8705 §2.2: any certificate, current, whose public key is one the client registered. */
  private async selfSignedCertificate(
    client: ClientRecord,
    certificate: PresentedCertificate,
  ): Promise<Result<ClientRecord, AuthFailure>> {
    if (!isCurrent(certificate.der, this.options.now())) {
      return rejected(
        ErrorCode.CLIENT_CERTIFICATE_UNTRUSTED,
        'client certificate is not within its validity period',
      );
    }
    const jwk = certificatePublicJwk(certificate.der);
    const presented = jwk === null ? null : jwkThumbprint(jwk);
    const registered = ((client.jwks?.keys ?? []) as Record<string, unknown>[]).map(jwkThumbprint);
    if (presented === null || !registered.includes(presented)) {
      return rejected(ErrorCode.CLIENT_CERTIFICATE_MISMATCH, 'client certificate key is not registered');
    }
    return ok(client);
  }
}
