import { parseScope } from '@tessera/core';
import type { ClientRecord } from '../store/client-store.js';
import type { ClientService } from './clients.js';
import type { ResourceServerService } from './resource-servers.js';

/** Scopes OpenID Connect defines; a client may request them without registering them. */
export const OIDC_SCOPES: readonly string[] = ['openid', 'profile', 'email'];
export const OFFLINE_ACCESS = 'offline_access';
export const PROMPT_VALUES = ['none', 'login', 'consent', 'select_account'] as const;

/** A validated authorization request (RFC 6749 §4.1.1, RFC 7636, OpenID Connect Core §3.1.2.1). */
export interface AuthorizationRequest {
  readonly clientId: string;
  /** Where the response goes: the redirect_uri sent, or the client's only registered one. */
  readonly redirectUri: string;
  /** Whether redirect_uri was sent, so the token request must repeat it (RFC 6749 §4.1.3). */
  readonly redirectUriSent: boolean;
  readonly scopes: readonly string[];
  readonly audience: string;
  readonly state: string | undefined;
  readonly nonce: string | undefined;
  readonly codeChallenge: string;
  readonly prompt: readonly string[];
  readonly maxAge: number | undefined;
  readonly loginHint: string | undefined;
  /** RFC 9449 §10: the thumbprint of the DPoP key the code must be redeemed with. */
  readonly dpopJkt: string | undefined;
}

/** An error the client hears about at its redirect URI (RFC 6749 §4.1.2.1). */
export interface RedirectedError {
  readonly redirectUri: string;
  readonly state: string | undefined;
  readonly error: string;
  readonly description: string;
}

export type ParsedAuthorizationRequest =
  | { readonly kind: 'valid'; readonly request: AuthorizationRequest; readonly client: ClientRecord }
  /** The client or redirect URI cannot be trusted: the user sees a page and is never redirected. */
  | { readonly kind: 'page'; readonly message: string }
  | { readonly kind: 'redirect'; readonly error: RedirectedError };

const CODE_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
const MAX_STATE_LENGTH = 2048;
const MAX_NONCE_LENGTH = 512;

/**
 * Validates an authorization request. Until the client and its redirect URI are known good
 * every failure is a page; after that, errors go back to the client with its `state`.
 */
export class AuthorizationRequestParser {
  constructor(
    private readonly clients: ClientService,
    private readonly resourceServers: ResourceServerService,
    private readonly defaultAudience: string,
  ) {}

  async parse(params: URLSearchParams): Promise<ParsedAuthorizationRequest> {
    // No parameter holds a NUL byte, and PostgreSQL cannot store the one that is kept (nonce).
    if ([...params].some(([name, value]) => name.includes('\u0000') || value.includes('\u0000'))) {
      return page('The request is malformed.');
    }
    const clientIds = params.getAll('client_id');
    const redirectUris = params.getAll('redirect_uri');
    if (clientIds.length > 1 || redirectUris.length > 1) {
      return page('The request names its client or redirect URI more than once.');
    }
    const [clientId] = clientIds;
    if (clientId === undefined || clientId === '') return page('The request does not name an application.');
    const client = await this.clients.find(clientId);
    if (client === null) return page('This application is not registered here.');
    const [sentRedirectUri] = redirectUris;
    let redirectUri: string;
    if (sentRedirectUri === undefined || sentRedirectUri === '') {
      const [only, ...others] = client.redirectUris;
      if (only === undefined || others.length > 0) {
        return page('The request must name its redirect URI: this application registered several.');
      }
      redirectUri = only;
    } else if (client.redirectUris.includes(sentRedirectUri)) {
      redirectUri = sentRedirectUri;
    } else {
      return page('The redirect URI is not one this application registered.');
    }

    const state = params.get('state') ?? undefined;
    const refuse = (error: string, description: string): ParsedAuthorizationRequest => ({
      kind: 'redirect',
      error: {
        redirectUri,
        state: state !== undefined && state.length <= MAX_STATE_LENGTH ? state : undefined,
        error,
        description,
      },
    });

    const repeated = repeatedParam(params);
    if (repeated !== undefined) return refuse('invalid_request', `The ${repeated} parameter is repeated.`);
    if (state !== undefined && state.length > MAX_STATE_LENGTH)
      return refuse('invalid_request', 'The state parameter is too long.');
    if (params.has('request'))
      return refuse('request_not_supported', 'Request objects are not supported; send plain parameters.');
    if (params.has('request_uri'))
      return refuse('request_uri_not_supported', 'request_uri is not supported; send plain parameters.');

    const responseType = params.get('response_type');
    if (responseType === null || responseType === '')
      return refuse('invalid_request', 'The response_type parameter is required.');
    if (responseType !== 'code')
      return refuse('unsupported_response_type', responseTypeRefusal(responseType));
    const responseMode = params.get('response_mode');
    if (responseMode !== null && responseMode !== 'query')
      return refuse('invalid_request', 'Only response_mode=query is supported.');
    if (!client.grantTypes.includes('authorization_code'))
      return refuse('unauthorized_client', 'This application may not use the authorization code flow.');

    const codeChallenge = params.get('code_challenge');
    const method = params.get('code_challenge_method');
    if (codeChallenge === null || codeChallenge === '')
      return refuse(
        'invalid_request',
        'PKCE is required: send code_challenge with code_challenge_method=S256.',
      );
    if (method !== 'S256') {
      return refuse(
        'invalid_request',
        method === null || method === 'plain'
          ? 'PKCE method plain is refused: it protects nothing if the request is seen; use S256.'
          : 'code_challenge_method must be S256.',
      );
    }
    if (!CODE_CHALLENGE.test(codeChallenge))
      return refuse('invalid_request', 'code_challenge must be 43 base64url characters (an S256 hash).');

    const scopeParam = params.get('scope');
    const requested = scopeParam === null || scopeParam === '' ? [...client.scopes] : parseScope(scopeParam);
    if (requested === null) return refuse('invalid_scope', 'The scope parameter is malformed.');
    if (requested.length === 0) return refuse('invalid_scope', 'Request at least one scope.');
    const openid = requested.includes('openid');
    if (openid && (sentRedirectUri === undefined || sentRedirectUri === ''))
      return refuse('invalid_request', 'OpenID Connect requests must send redirect_uri.');

    const resources = params.getAll('resource');
    const [resource] = resources;
    let audience = client.audiences[0] ?? this.defaultAudience;
    if (resource !== undefined) {
      if (!client.audiences.includes(resource))
        return refuse('invalid_target', 'The requested resource is not allowed for this application.');
      audience = resource;
    }
    const api = await this.resourceServers.findByAudience(audience);
    for (const scope of requested) {
      if (OIDC_SCOPES.includes(scope)) continue;
      if (scope === OFFLINE_ACCESS) {
        if (!client.grantTypes.includes('refresh_token'))
          return refuse('invalid_scope', 'This application may not hold refresh tokens (offline_access).');
        continue;
      }
      if (!client.scopes.includes(scope) || (api !== null && !api.scopes.includes(scope)))
        return refuse('invalid_scope', 'The requested scope exceeds what this application may hold.');
    }

    const prompt = (params.get('prompt') ?? '').split(' ').filter((value) => value !== '');
    if (prompt.some((value) => !(PROMPT_VALUES as readonly string[]).includes(value)))
      return refuse('invalid_request', `prompt must be among: ${PROMPT_VALUES.join(', ')}.`);
    if (prompt.includes('none') && prompt.length > 1)
      return refuse('invalid_request', 'prompt=none cannot be combined with other values.');
    const maxAgeParam = params.get('max_age');
    if (maxAgeParam !== null && !/^\d{1,9}$/.test(maxAgeParam))
      return refuse('invalid_request', 'max_age must be a whole number of seconds.');
    const dpopJkt = params.get('dpop_jkt') ?? undefined;
    if (dpopJkt !== undefined && !/^[A-Za-z0-9_-]{43}$/.test(dpopJkt))
      return refuse(
        'invalid_request',
        'dpop_jkt must be a SHA-256 JWK thumbprint (43 base64url characters).',
      );
    const nonce = params.get('nonce') ?? undefined;
    if (nonce !== undefined && nonce.length > MAX_NONCE_LENGTH)
      return refuse('invalid_request', 'The nonce parameter is too long.');

    return {
      kind: 'valid',
      client,
      request: {
        clientId: client.id,
        redirectUri,
        redirectUriSent: sentRedirectUri !== undefined && sentRedirectUri !== '',
        scopes: requested,
        audience,
        state,
        nonce: nonce === '' ? undefined : nonce,
        codeChallenge,
        prompt,
        maxAge: maxAgeParam === null ? undefined : Number(maxAgeParam),
        loginHint: params.get('login_hint')?.slice(0, 256) ?? undefined,
        dpopJkt,
      },
    };
  }
}

const page = (message: string): ParsedAuthorizationRequest => ({ kind: 'page', message });

function repeatedParam(params: URLSearchParams): string | undefined {
  const seen = new Set<string>();
  for (const name of params.keys()) {
    if (seen.has(name)) return /^[a-z_]{1,40}$/.test(name) ? name : 'same';
    seen.add(name);
  }
  return undefined;
}

function responseTypeRefusal(responseType: string): string {
  if (responseType.split(' ').some((type) => type === 'token' || type === 'id_token')) {
    return 'The implicit flow is refused: it puts tokens in the browser URL where they leak (RFC 9700 §2.1.2). Use response_type=code with PKCE.';
  }
  return 'Only response_type=code is supported.';
}

/** The form of an error response at the client's redirect URI, with RFC 9207's `iss`. */
export function redirectWithParams(redirectUri: string, params: Record<string, string | undefined>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined) query.set(name, value);
  // The registered URI's own query is kept as it is (RFC 6749 §3.1.2).
  return `${redirectUri}${redirectUri.includes('?') ? '&' : '?'}${query}`;
}
