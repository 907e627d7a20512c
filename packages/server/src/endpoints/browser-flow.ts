import {
  type AuthorizationRequest,
  type AuthorizationRequestParser,
  OFFLINE_ACCESS,
  type RedirectedError,
  redirectWithParams,
} from '../services/authorization-request.js';
import type { ClientService } from '../services/clients.js';
import type { ConsentService } from '../services/consents.js';
import type { CsrfTokens } from '../services/csrf.js';
import type { GrantService } from '../services/grants.js';
import type { IdTokenService } from '../services/id-tokens.js';
import type { LoginThrottle } from '../services/login-throttle.js';
import type { SealedBox } from '../services/sealed-box.js';
import { SESSION_TTL_SECONDS, type SessionService } from '../services/sessions.js';
import { type UserService, usernameKey } from '../services/users.js';
import type { ClientRecord } from '../store/client-store.js';
import type { SessionRecord } from '../store/session-store.js';
import { PATHS } from './paths.js';

/** What a page shows; the HTTP layer renders it. */
export type View =
  | {
      readonly page: 'login';
      readonly props: {
        action: string;
        csrfToken: string;
        hidden: Record<string, string>;
        clientName: string;
        username?: string;
        error?: string;
      };
    }
  | {
      readonly page: 'consent';
      readonly props: {
        action: string;
        csrfToken: string;
        hidden: Record<string, string>;
        clientName: string;
        userName: string;
        scopes: readonly string[];
        redirectHost: string;
      };
    }
  | { readonly page: 'error'; readonly props: { title: string; message: string } }
  | {
      readonly page: 'logout';
      readonly props: {
        action: string;
        csrfToken: string;
        hidden: Record<string, string>;
        clientName?: string;
      };
    }
  | { readonly page: 'signed-out' }
  | {
      readonly page: 'account';
      readonly props: {
        action: string;
        csrfToken: string;
        userName: string;
        grants: { clientId: string; clientName: string; scopes: readonly string[]; grantedAt: number }[];
      };
    };

/** A cookie to set (value and lifetime) or, as null, to clear. */
export type CookieChange = { readonly value: string; readonly maxAge: number } | null;

/** A request from a browser: its parameters (query or form) and the cookies Tessera set. */
export interface BrowserRequest {
  readonly params: URLSearchParams;
  readonly sessionCookie: string | undefined;
  readonly csrfCookie: string | undefined;
  /** The client's network address, for sign-in throttling. */
  readonly address: string;
}

export interface BrowserResponse {
  readonly status: number;
  readonly view?: View;
  /** Where to send the browser (303). */
  readonly location?: string;
  readonly session?: CookieChange;
  readonly csrf?: CookieChange;
  /** Where the page's forms may lead, beyond this server (a client's redirect URI). */
  readonly formActions?: readonly string[];
}

export interface BrowserFlowDeps {
  issuer: string;
  parser: AuthorizationRequestParser;
  clients: ClientService;
  users: UserService;
  throttle: LoginThrottle;
  sessions: SessionService;
  consents: ConsentService;
  grants: GrantService;
  csrf: CsrfTokens;
  sealer: SealedBox;
  idTokens: IdTokenService;
  now: () => number;
}

/** The hidden field that carries a validated authorization request from page to page. */
const REQUEST_FIELD = 'authorization_request';
const LOGOUT_FIELD = 'logout_request';
/** A sign-in started must be finished within this long. */
const INTERACTION_SECONDS = 600;
/** The CSRF binding cookie outlives any one sign-in; it is replaced at each sign-in. */
const CSRF_COOKIE_SECONDS = SESSION_TTL_SECONDS;

/** Per request: the browser's CSRF binding, and whether it is new and must be set. */
interface Binding {
  readonly value: string;
  readonly fresh: boolean;
}

/**
 * The authorization endpoint and the pages around it: sign-in, consent, the account page
 * where consent is withdrawn, and RP-initiated logout. Every form carries a CSRF token
 * bound to a cookie; the authorization request travels between pages sealed under the
 * server's key and that binding, so it can be neither altered nor moved to another browser.
 */
export function createBrowserFlow(deps: BrowserFlowDeps) {
  const { csrf, sealer } = deps;

  const bindingOf = (request: BrowserRequest): Binding =>
    request.csrfCookie !== undefined && request.csrfCookie.length >= 32
      ? { value: request.csrfCookie, fresh: false }
      : { value: csrf.newBinding(), fresh: true };

  const respond = (binding: Binding, response: BrowserResponse): BrowserResponse =>
    binding.fresh && response.csrf === undefined
      ? { ...response, csrf: { value: binding.value, maxAge: CSRF_COOKIE_SECONDS } }
      : response;

  const seal = (kind: string, value: object, binding: Binding) =>
    sealer.seal(JSON.stringify({ value, exp: deps.now() + INTERACTION_SECONDS }), `${kind}:${binding.value}`);

  function unseal<T>(kind: string, sealed: string | null, binding: Binding): T | null {
    if (sealed === null || binding.fresh) return null;
    try {
      const { value, exp } = JSON.parse(sealer.open(sealed, `${kind}:${binding.value}`).toString('utf8'));
      return typeof exp === 'number' && exp > deps.now() ? (value as T) : null;
    } catch {
      return null;
    }
  }

  const errorPage = (status: number, title: string, message: string): BrowserResponse => ({
    status,
    view: { page: 'error', props: { title, message } },
  });
  const staleForm = () =>
    errorPage(
      403,
      'This form has expired',
      'The page was open too long or did not come from this site. Go back to the application and start again.',
    );

  const redirectError = (error: RedirectedError): BrowserResponse => ({
    status: 303,
    location: redirectWithParams(error.redirectUri, {
      error: error.error,
      error_description: error.description,
      state: error.state,
      iss: deps.issuer,
    }),
  });

  const refuse = (request: AuthorizationRequest, error: string, description: string) =>
    redirectError({ redirectUri: request.redirectUri, state: request.state, error, description });

  function loginView(
    status: number,
    binding: Binding,
    request: AuthorizationRequest | null,
    client: ClientRecord | null,
    extra: { username?: string; error?: string } = {},
  ): BrowserResponse {
    return {
      status,
      view: {
        page: 'login',
        props: {
          action: PATHS.login,
          csrfToken: csrf.tokenFor(binding.value),
          hidden:
            request === null ? {} : { [REQUEST_FIELD]: seal('authorization-request', request, binding) },
          clientName: client?.name ?? 'your account',
          ...(extra.username === undefined ? {} : { username: extra.username }),
          ...(extra.error === undefined ? {} : { error: extra.error }),
        },
      },
      ...(request === null ? {} : { formActions: [request.redirectUri] }),
    };
  }

  async function issueCode(
    request: AuthorizationRequest,
    client: ClientRecord,
    session: SessionRecord,
  ): Promise<BrowserResponse> {
    const code = await deps.grants.issueCode(request, client, session);
    return {
      status: 303,
      location: redirectWithParams(request.redirectUri, { code, state: request.state, iss: deps.issuer }),
    };
  }

  /** Goes on with a valid request: sign in if needed, ask consent if needed, else issue a code. */
  async function proceed(
    binding: Binding,
    request: AuthorizationRequest,
    client: ClientRecord,
    session: SessionRecord | null,
    justSignedIn: boolean,
  ): Promise<BrowserResponse> {
    const { prompt, maxAge } = request;
    // max_age=0 asks for a sign-in now, as prompt=login does (OpenID Connect Core §3.1.2.1).
    const tooOld =
      maxAge !== undefined &&
      session !== null &&
      (maxAge === 0 ? !justSignedIn : deps.now() - session.authTime > maxAge);
    const reauthenticate = !justSignedIn && (prompt.includes('login') || prompt.includes('select_account'));
    if (session === null || tooOld || reauthenticate) {
      if (prompt.includes('none')) return refuse(request, 'login_required', 'The user is not signed in.');
      return loginView(
        200,
        binding,
        request,
        client,
        request.loginHint ? { username: request.loginHint } : {},
      );
    }
    const consented = await deps.consents.covers(session.userId, client.id, request.audience, request.scopes);
    if (!consented || prompt.includes('consent')) {
      if (prompt.includes('none'))
        return refuse(request, 'consent_required', 'The user has not approved this application.');
      const user = await deps.users.find(session.userId);
      return {
        status: 200,
        view: {
          page: 'consent',
          props: {
            action: PATHS.consent,
            csrfToken: csrf.tokenFor(binding.value),
            hidden: { [REQUEST_FIELD]: seal('authorization-request', request, binding) },
            clientName: client.name,
            userName: user?.name ?? user?.username ?? '',
            scopes: request.scopes,
            redirectHost: redirectHost(request.redirectUri),
          },
        },
        formActions: [request.redirectUri],
      };
    }
    return issueCode(request, client, session);
  }

  /** The request a form carries, and its client, if both are still good. */
  async function carried(
    request: BrowserRequest,
    binding: Binding,
  ): Promise<{ request: AuthorizationRequest; client: ClientRecord } | null> {
    const authorization = unseal<AuthorizationRequest>(
      'authorization-request',
      request.params.get(REQUEST_FIELD),
      binding,
    );
    if (authorization === null) return null;
    const client = await deps.clients.find(authorization.clientId);
    return client === null ? null : { request: authorization, client };
  }

  const csrfValid = (request: BrowserRequest, binding: Binding) =>
    !binding.fresh && csrf.isValid(binding.value, request.params.get('csrf_token') ?? undefined);

  const steps = {
    /** GET (or POST) of the authorization endpoint (RFC 6749 §4.1.1). */
    async authorize(request: BrowserRequest): Promise<BrowserResponse> {
      const binding = bindingOf(request);
      const parsed = await deps.parser.parse(request.params);
      if (parsed.kind === 'page') {
        return respond(binding, errorPage(400, 'This sign-in link cannot be used', parsed.message));
      }
      if (parsed.kind === 'redirect') return respond(binding, redirectError(parsed.error));
      const session = await deps.sessions.find(request.sessionCookie);
      return respond(binding, await proceed(binding, parsed.request, parsed.client, session, false));
    },

    /** The sign-in form's POST. */
    async login(request: BrowserRequest): Promise<BrowserResponse> {
      const binding = bindingOf(request);
      if (!csrfValid(request, binding)) return respond(binding, staleForm());
      const hasRequest = request.params.has(REQUEST_FIELD);
      const pending = hasRequest ? await carried(request, binding) : null;
      if (hasRequest && pending === null) return respond(binding, staleForm());
      const username = request.params.get('username') ?? '';
      const password = request.params.get('password') ?? '';
      const key = usernameKey(username);
      const decision = deps.throttle.attempt(key, request.address);
      const retry = (status: number, error: string) =>
        loginView(status, binding, pending?.request ?? null, pending?.client ?? null, { username, error });
      if (!decision.allowed) {
        const minutes = Math.max(1, Math.ceil(decision.retryAfterSeconds / 60));
        return retry(
          429,
          `Too many sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
        );
      }
      const user =
        username === '' || password === '' ? null : await deps.users.authenticate(username, password);
      if (user === null) {
        // 400, not 401: a 401 would need a WWW-Authenticate challenge, which a form is not.
        return retry(400, 'The username or password is incorrect.');
      }
      deps.throttle.succeeded(key, request.address);
      const previous = await deps.sessions.find(request.sessionCookie);
      // A new session and a new CSRF binding at every sign-in: nothing set before it carries over.
      const { cookie, session } = await deps.sessions.start(user.id);
      if (previous !== null) {
        // The same person signing in again keeps the grants of the browser session; anyone
        // else signing in on this browser ends the previous person's session as logout would.
        if (previous.userId === user.id) await deps.grants.moveToSession(previous.id, session.id);
        else await endSession(previous);
        await deps.sessions.end(previous);
      }
      const renewed: Binding = { value: csrf.newBinding(), fresh: false };
      const cookies = {
        session: { value: cookie, maxAge: SESSION_TTL_SECONDS },
        csrf: { value: renewed.value, maxAge: CSRF_COOKIE_SECONDS },
      };
      if (pending === null) return { status: 303, location: PATHS.account, ...cookies };
      return { ...(await proceed(renewed, pending.request, pending.client, session, true)), ...cookies };
    },

    /** The consent form's POST. */
    async consent(request: BrowserRequest): Promise<BrowserResponse> {
      const binding = bindingOf(request);
      if (!csrfValid(request, binding)) return respond(binding, staleForm());
      const pending = await carried(request, binding);
      const session = await deps.sessions.find(request.sessionCookie);
      if (pending === null || session === null) return respond(binding, staleForm());
      const decision = request.params.get('decision');
      if (decision === 'deny')
        return refuse(pending.request, 'access_denied', 'The user denied the request.');
      if (decision !== 'approve') return errorPage(400, 'No decision', 'Choose Allow or Deny.');
      await deps.consents.approve(
        session.userId,
        pending.client.id,
        pending.request.audience,
        pending.request.scopes,
      );
      return issueCode(pending.request, pending.client, session);
    },

    /** The account page: the applications the user let in, each revocable. */
    async account(request: BrowserRequest): Promise<BrowserResponse> {
      const binding = bindingOf(request);
      const session = await deps.sessions.find(request.sessionCookie);
      if (session === null) return respond(binding, loginView(200, binding, null, null));
      const user = await deps.users.find(session.userId);
      const consents = await deps.consents.listForUser(session.userId);
      // One entry per application, whatever APIs it was let into: access is revoked per application.
      const byClient = new Map<
        string,
        { clientId: string; clientName: string; scopes: string[]; grantedAt: number }
      >();
      for (const consent of consents) {
        const client = await deps.clients.find(consent.clientId);
        if (client === null) continue;
        const entry = byClient.get(client.id) ?? {
          clientId: client.id,
          clientName: client.name,
          scopes: [],
          grantedAt: 0,
        };
        entry.scopes = [...new Set([...entry.scopes, ...consent.scopes])];
        entry.grantedAt = Math.max(entry.grantedAt, consent.grantedAt);
        byClient.set(client.id, entry);
      }
      const grants = [...byClient.values()];
      return respond(binding, {
        status: 200,
        view: {
          page: 'account',
          props: {
            action: PATHS.accountRevoke,
            csrfToken: csrf.tokenFor(binding.value),
            userName: user?.name ?? user?.username ?? '',
            grants,
          },
        },
      });
    },

    /** Withdraws the consent given to one client, revoking its grants and tokens. */
    async revokeAccess(request: BrowserRequest): Promise<BrowserResponse> {
      const binding = bindingOf(request);
      if (!csrfValid(request, binding)) return respond(binding, staleForm());
      const session = await deps.sessions.find(request.sessionCookie);
      const clientId = request.params.get('client_id');
      if (session === null || clientId === null) return respond(binding, staleForm());
      await deps.consents.withdraw(session.userId, clientId);
      return { status: 303, location: PATHS.account };
    },

    /** GET of the end-session endpoint (OpenID Connect RP-Initiated Logout 1.0): asks to confirm. */
    async logoutPrompt(request: BrowserRequest): Promise<BrowserResponse> {
      const binding = bindingOf(request);
      const target = await logoutTarget(request.params);
      if ('problem' in target)
        return respond(binding, errorPage(400, 'This sign-out link cannot be used', target.problem));
      const session = await deps.sessions.find(request.sessionCookie);
      if (session === null) return respond(binding, afterLogout(target));
      return respond(binding, {
        status: 200,
        view: {
          page: 'logout',
          props: {
            action: PATHS.endSession,
            csrfToken: csrf.tokenFor(binding.value),
            hidden: { [LOGOUT_FIELD]: seal('logout-request', target, binding) },
            ...(target.clientName === undefined ? {} : { clientName: target.clientName }),
          },
        },
        ...(target.redirect === undefined ? {} : { formActions: [target.redirect] }),
      });
    },

    /**
     * The confirmed logout: ends the session and revokes the grants made in it, except those
     * with offline_access, which were given to outlive it.
     */
    async logout(request: BrowserRequest): Promise<BrowserResponse> {
      // A relying party may start logout with a POST of its own (RP-Initiated Logout §2):
      // that is a request to be confirmed, not the confirmation.
      if (!request.params.has('csrf_token') && !request.params.has(LOGOUT_FIELD)) {
        return steps.logoutPrompt(request);
      }
      const binding = bindingOf(request);
      if (!csrfValid(request, binding)) return respond(binding, staleForm());
      const target = unseal<LogoutTarget>('logout-request', request.params.get(LOGOUT_FIELD), binding) ?? {};
      const session = await deps.sessions.find(request.sessionCookie);
      if (session !== null) {
        await endSession(session);
        await deps.sessions.end(session);
      }
      return { ...afterLogout(target), session: null };
    },
  };
  return steps;

  /** Revokes what a session's sign-in authorized, but for grants given to outlive it (offline_access). */
  async function endSession(session: SessionRecord): Promise<void> {
    for (const grant of await deps.grants.grantsOfSession(session.id)) {
      if (!grant.scopes.includes(OFFLINE_ACCESS)) await deps.grants.revoke(grant.id);
    }
  }

  function afterLogout(target: LogoutTarget): BrowserResponse {
    if (target.redirect === undefined) return { status: 200, view: { page: 'signed-out' } };
    return { status: 303, location: redirectWithParams(target.redirect, { state: target.state }) };
  }

  /** Where a logout may send the browser: only to a URI its client registered for that. */
  async function logoutTarget(params: URLSearchParams): Promise<LogoutTarget | { problem: string }> {
    const hint = params.get('id_token_hint');
    const hinted = hint === null || hint === '' ? null : await deps.idTokens.readHint(hint);
    if (hint !== null && hint !== '' && hinted === null)
      return { problem: 'The id_token_hint is not valid.' };
    const clientIdParam = params.get('client_id');
    if (hinted !== null && clientIdParam !== null && clientIdParam !== hinted.clientId) {
      return { problem: 'client_id does not match the id_token_hint.' };
    }
    const clientId = clientIdParam ?? hinted?.clientId;
    const client = clientId === undefined ? null : await deps.clients.find(clientId);
    const redirect = params.get('post_logout_redirect_uri');
    const state = params.get('state') ?? undefined;
    if (redirect === null || redirect === '') return client === null ? {} : { clientName: client.name };
    if (client === null || !client.postLogoutRedirectUris.includes(redirect)) {
      return { problem: 'The post_logout_redirect_uri is not one this application registered.' };
    }
    return { clientName: client.name, redirect, ...(state === undefined ? {} : { state }) };
  }
}

interface LogoutTarget {
  readonly clientName?: string;
  readonly redirect?: string;
  readonly state?: string;
}

function redirectHost(uri: string): string {
  const url = new URL(uri);
  return url.host === '' ? `${url.protocol}//` : url.host;
}
