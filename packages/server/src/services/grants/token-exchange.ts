import { ErrorCode, InvalidRequest, InvalidScope, InvalidTarget, parseScope } from '@tessera/core';
import type { ClientRecord } from '../../store/client-store.js';
import type {
  AccessTokenClaims,
  AccessTokenService,
  Actor,
  Confirmation,
  IssuedAccessToken,
} from '../access-tokens.js';
import type { ResourceServerService } from '../resource-servers.js';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** RFC 8693 §3: the token type identifiers. */
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
export const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';

export interface TokenExchangeRequest {
  readonly subjectToken: string;
  readonly subjectTokenType: string;
  readonly requestedTokenType: string | undefined;
  readonly actorToken: string | undefined;
  readonly actorTokenType: string | undefined;
  /** The `scope` parameter, if sent. */
  readonly scope: string | undefined;
  /** Every `resource` parameter (RFC 8707). */
  readonly resources: readonly string[];
  /** Every `audience` parameter (RFC 8693 §2.1). */
  readonly audiences: readonly string[];
  /** What the new token is bound to: the request's DPoP key, the client's certificate. */
  readonly confirmation: Confirmation | undefined;
}

/**
 * Token exchange (RFC 8693) for API-to-API calls: a service trades an access token it
 * received for a narrower one addressed to the next API.
 *
 * - The subject token is any active access token this server issued (JWT or opaque), to any
 *   client: the service received it from its caller. Unknown, expired or revoked tokens are
 *   `invalid_request`, as RFC 8693 §2.2.2 requires for an invalid subject token.
 * - Exactly one target, `resource` or `audience`, naming one of the client's audiences;
 *   none is `invalid_request`, more than one or one not listed is `invalid_target`.
 * - Scopes are no wider than the subject token's, the client's, and (when the target is a
 *   registered API) the API's; by default all three intersected, never empty.
 * - The new token keeps the subject (`sub`), is issued to the exchanging client
 *   (`client_id`) and records the chain in `act`, the current actor outermost (§4.1). It
 *   never outlives the subject token.
 * - Only a client that authenticates may exchange (public clients cannot register for it).
 *   The new token is bound to what the exchange request proved: its DPoP key (RFC 9449),
 *   the certificate the client authenticated with (RFC 8705); otherwise it is a bearer
 *   token, whatever bound the subject token: that binding was to the caller's key.
 * - Revocation: a revoked subject token can no longer be exchanged, but tokens already
 *   exchanged from it stay valid until their own expiry, which is capped at the subject
 *   token's. Revoke those by their own `jti`, or the exchanging client.
 */
export class TokenExchangeGrant {
  constructor(
    private readonly accessTokens: AccessTokenService,
    private readonly resourceServers: ResourceServerService,
  ) {}

  async handle(client: ClientRecord, request: TokenExchangeRequest): Promise<IssuedAccessToken> {
    this.checkTokenTypes(request);
    const audience = this.target(client, [...request.resources, ...request.audiences]);
    const subject = await this.subject(request.subjectToken);
    const api = await this.resourceServers.findByAudience(audience);
    const held = subject.scope === '' ? [] : subject.scope.split(' ');
    const allowed = held.filter(
      (scope) => client.scopes.includes(scope) && (api === null || api.scopes.includes(scope)),
    );
    const scopes = this.scopes(client, audience, allowed, request.scope);
    const actor: Actor = { sub: client.id, ...(subject.act === undefined ? {} : { act: subject.act }) };
    return this.accessTokens.issue({
      client,
      subject: subject.sub,
      audience,
      scopes,
      api,
      actor,
      notAfter: subject.exp,
      confirmation: request.confirmation,
    });
  }

  private checkTokenTypes(request: TokenExchangeRequest): void {
    const { subjectTokenType, requestedTokenType } = request;
    if (subjectTokenType !== ACCESS_TOKEN_TYPE && subjectTokenType !== JWT_TOKEN_TYPE) {
      throw new InvalidRequest(
        ErrorCode.TOKEN_TYPE_UNSUPPORTED,
        `The subject_token_type is not supported; use ${ACCESS_TOKEN_TYPE} or ${JWT_TOKEN_TYPE}.`,
      );
    }
    // Our opaque tokens have two dot-separated parts, a compact JWS three.
    if (subjectTokenType === JWT_TOKEN_TYPE && request.subjectToken.split('.').length !== 3) {
      throw new InvalidRequest(ErrorCode.PARAM_INVALID, 'The subject_token is not a JWT.');
    }
    if (requestedTokenType !== undefined && requestedTokenType !== ACCESS_TOKEN_TYPE) {
      throw new InvalidRequest(
        ErrorCode.TOKEN_TYPE_UNSUPPORTED,
        `The requested_token_type is not supported; only ${ACCESS_TOKEN_TYPE} is issued.`,
      );
    }
    if (request.actorToken !== undefined || request.actorTokenType !== undefined) {
      throw new InvalidRequest(
        ErrorCode.PARAM_INVALID,
        'Actor tokens are not supported: the authenticated client is the actor.',
      );
    }
  }

  private target(client: ClientRecord, targets: readonly string[]): string {
    const [target, ...more] = targets;
    if (target === undefined) {
      throw new InvalidRequest(
        ErrorCode.PARAM_MISSING,
        'A token exchange must name its target with a resource or audience parameter.',
      );
    }
    if (more.length > 0) {
      throw new InvalidTarget(ErrorCode.TARGET_NOT_ALLOWED, 'Exchange a token for one target at a time.');
    }
    if (!client.audiences.includes(target)) {
      throw new InvalidTarget(
        ErrorCode.TARGET_NOT_ALLOWED,
        'This client may not exchange tokens for the requested target.',
        { detail: `client ${client.id} asked to exchange into ${target}` },
      );
    }
    return target;
  }

  private async subject(token: string): Promise<AccessTokenClaims> {
    const claims = await this.accessTokens.introspect(token);
    if (claims === null) {
      throw new InvalidRequest(ErrorCode.TOKEN_INVALID, 'The subject_token is invalid, expired or revoked.');
    }
    return claims;
  }

  private scopes(
    client: ClientRecord,
    audience: string,
    allowed: readonly string[],
    scope: string | undefined,
  ): readonly string[] {
    if (scope === undefined) {
      if (allowed.length === 0) {
        throw new InvalidScope(
          ErrorCode.SCOPE_NOT_ALLOWED,
          'The subject token holds no scope this client may pass on to the target.',
          { detail: `client ${client.id} exchanging into ${audience}` },
        );
      }
      return allowed;
    }
    const requested = parseScope(scope);
    if (requested === null)
      throw new InvalidScope(ErrorCode.PARAM_INVALID, 'The scope parameter is malformed.');
    if (!requested.every((each) => allowed.includes(each))) {
      throw new InvalidScope(
        ErrorCode.SCOPE_NOT_ALLOWED,
        'The requested scope exceeds the subject token, this client or the target.',
        { detail: `requested ${scope}; client ${client.id} may pass on ${allowed.join(' ')} to ${audience}` },
      );
    }
    return requested;
  }
}
