/**
 * A virtual end user and the application acting for them, each with one keep-alive
 * connection (undici `Client`) to the server:
 *
 * - `signInOnce`: what a browser does the first time: `/authorize` → sign-in page → POST
 *   `/login` → consent page → POST `/consent` → redirect with a code, then the exchange.
 *   It keeps the session and CSRF cookies, as a browser would.
 * - `exchange`: a returning user's flow, the one measured: `/authorize` with the session
 *   cookie and consent remembered → 303 with a code → POST `/token` with the code and the
 *   PKCE verifier. A fresh verifier, state and nonce every time.
 * - `rotate`: the application refreshing: POST `/token` with `grant_type=refresh_token`,
 *   keeping the successor for next time.
 *
 * Every answer is checked; anything unexpected throws.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Client } from 'undici';

export const REDIRECT_URI = 'http://127.0.0.1:9/callback';
export const SCOPE = 'openid offline_access';

/** What the checks of the first exchange saw, for the report. */
export interface TokenShape {
  readonly bytes: number;
  readonly accessTokenAlg: string;
  readonly idTokenAlg: string | undefined;
  readonly refreshToken: boolean;
  readonly scope: string;
}

export interface AppClient {
  readonly id: string;
  /** `Basic …` */
  readonly authorization: string;
}

export function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

export function openConnection(origin: string): Client {
  return new Client(origin, {
    pipelining: 1,
    keepAliveTimeout: 60_000,
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
}

interface Answer {
  readonly status: number;
  readonly location: string | undefined;
  readonly setCookies: readonly string[];
  readonly body: string;
}

async function send(
  connection: Client,
  method: 'GET' | 'POST',
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Answer> {
  const response = await connection.request({ method, path, headers, body });
  const text = await response.body.text();
  const location = response.headers.location;
  const cookies = response.headers['set-cookie'];
  return {
    status: response.statusCode,
    location: typeof location === 'string' ? location : undefined,
    setCookies: cookies === undefined ? [] : Array.isArray(cookies) ? cookies : [cookies],
    body: text,
  };
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

export class EndUser {
  readonly connection: Client;
  readonly #cookies = new Map<string, string>();
  #cookieHeader = '';
  refreshToken: string | undefined;
  /** Refresh responses that carried an ID token, and all refresh responses. */
  idTokensOnRefresh = 0;
  refreshes = 0;

  constructor(
    origin: string,
    readonly username: string,
    readonly password: string,
    private readonly app: AppClient,
  ) {
    this.connection = openConnection(origin);
  }

  /** First visit: sign in, approve, exchange. Returns what the token response looked like. */
  async signInOnce(): Promise<TokenShape> {
    const pkce = newPkce();
    let page = await this.#visit('GET', authorizePath(this.app.id, pkce));
    if (page.status === 200 && page.body.includes('name="password"')) {
      const form = formWith(page.body, 'name="password"');
      page = await this.#visit('POST', form.action, {
        ...form.fields,
        username: this.username,
        password: this.password,
      });
    }
    if (page.status === 200 && page.body.includes('value="approve"')) {
      const form = formWith(page.body, 'value="approve"');
      page = await this.#visit('POST', form.action, { ...form.fields, decision: 'approve' });
    }
    const code = codeFrom(page, pkce.state);
    const answer = await this.#redeem(code, pkce);
    const tokens = JSON.parse(answer.body) as Record<string, unknown>;
    return {
      bytes: Buffer.byteLength(answer.body),
      accessTokenAlg: jwtAlg(tokens.access_token) ?? 'opaque',
      idTokenAlg: jwtAlg(tokens.id_token),
      refreshToken: typeof tokens.refresh_token === 'string',
      scope: String(tokens.scope),
    };
  }

  /** A returning user: `/authorize` straight back with a code, then the code exchange. */
  async exchange(): Promise<void> {
    const pkce = newPkce();
    const back = await send(this.connection, 'GET', authorizePath(this.app.id, pkce), {
      cookie: this.#cookieHeader,
    });
    await this.#redeem(codeFrom(back, pkce.state), pkce);
  }

  /** One refresh-token rotation. */
  async rotate(): Promise<void> {
    const spent = this.refreshToken;
    if (spent === undefined) throw new Error('no refresh token to rotate');
    const answer = await send(
      this.connection,
      'POST',
      '/token',
      { ...FORM, authorization: this.app.authorization },
      new URLSearchParams({ grant_type: 'refresh_token', refresh_token: spent }).toString(),
    );
    const tokens = tokenResponse(answer);
    if (tokens.refresh_token === spent) throw new Error('the refresh token did not rotate');
    this.refreshToken = tokens.refresh_token;
    this.refreshes++;
    if (typeof tokens.id_token === 'string') this.idTokensOnRefresh++;
  }

  close(): Promise<void> {
    return this.connection.close();
  }

  async #redeem(code: string, pkce: Pkce): Promise<Answer> {
    const answer = await send(
      this.connection,
      'POST',
      '/token',
      { ...FORM, authorization: this.app.authorization },
      new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT_URI,
        code_verifier: pkce.verifier,
      }).toString(),
    );
    const tokens = tokenResponse(answer);
    if (typeof tokens.id_token !== 'string') throw new Error('the code exchange gave no ID token');
    this.refreshToken = tokens.refresh_token;
    return answer;
  }

  /** A request with the cookie jar, whose Set-Cookie lines update the jar. */
  async #visit(method: 'GET' | 'POST', path: string, form?: Record<string, string>): Promise<Answer> {
    const headers: Record<string, string> = form === undefined ? {} : { ...FORM };
    if (this.#cookieHeader !== '') headers.cookie = this.#cookieHeader;
    const answer = await send(
      this.connection,
      method,
      path,
      headers,
      form === undefined ? undefined : new URLSearchParams(form).toString(),
    );
    for (const line of answer.setCookies) {
      const pair = line.split(';', 1)[0] ?? '';
      const at = pair.indexOf('=');
      if (/max-age=0\b/i.test(line)) this.#cookies.delete(pair.slice(0, at));
      else this.#cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
    this.#cookieHeader = [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    return answer;
  }
}

/**
 * Someone signing in over and over from the sign-in page (POST `/login`, no authorization
 * request: the answer is a redirect to `/account`). The CSRF cookie and token come from one
 * visit to `/account`; the new cookies each sign-in sets are ignored so that the same pair
 * stays valid, and each sign-in makes a new session.
 */
export class SignInLoop {
  readonly connection: Client;
  #csrfCookie = '';
  #body = '';

  constructor(
    origin: string,
    private readonly username: string,
    private readonly password: string,
  ) {
    this.connection = openConnection(origin);
  }

  async prepare(): Promise<void> {
    const page = await send(this.connection, 'GET', '/account', {});
    const cookie = page.setCookies.find((line) => line.startsWith('tessera_csrf='));
    if (page.status !== 200 || cookie === undefined) {
      throw new Error(`/account without a session: ${page.status}, no CSRF cookie`);
    }
    this.#csrfCookie = cookie.split(';', 1)[0] ?? '';
    const form = formWith(page.body, 'name="password"');
    this.#body = new URLSearchParams({
      ...form.fields,
      username: this.username,
      password: this.password,
    }).toString();
  }

  async signIn(): Promise<void> {
    const answer = await send(
      this.connection,
      'POST',
      '/login',
      { ...FORM, cookie: this.#csrfCookie },
      this.#body,
    );
    if (answer.status !== 303 || answer.location !== '/account') {
      throw new Error(`sign-in: ${answer.status} ${answer.location ?? answer.body.slice(0, 200)}`);
    }
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}

/** One client-credentials token request (or the same bytes to the canned server). */
export async function clientCredentials(connection: Client, authorization: string): Promise<void> {
  const answer = await send(
    connection,
    'POST',
    '/token',
    { ...FORM, authorization },
    'grant_type=client_credentials',
  );
  tokenResponse(answer);
}

interface Pkce {
  readonly verifier: string;
  readonly challenge: string;
  readonly state: string;
  readonly nonce: string;
}

function newPkce(): Pkce {
  const verifier = randomBytes(32).toString('base64url');
  return {
    verifier,
    challenge: createHash('sha256').update(verifier).digest('base64url'),
    state: randomBytes(12).toString('base64url'),
    nonce: randomBytes(12).toString('base64url'),
  };
}

function authorizePath(clientId: string, pkce: Pkce): string {
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT_URI,
    scope: SCOPE,
    state: pkce.state,
    nonce: pkce.nonce,
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
  });
  return `/authorize?${query}`;
}

/** The code of a redirect back to the application, after checking it is one and the state matches. */
function codeFrom(answer: Answer, state: string): string {
  if (answer.status !== 303 || answer.location === undefined) {
    throw new Error(
      `/authorize: expected 303 to the application, got ${answer.status} ${answer.body.slice(0, 200)}`,
    );
  }
  const back = new URL(answer.location);
  const code = back.searchParams.get('code');
  if (
    !answer.location.startsWith(REDIRECT_URI) ||
    code === null ||
    back.searchParams.get('state') !== state
  ) {
    throw new Error(`/authorize: unexpected redirect ${answer.location.slice(0, 200)}`);
  }
  return code;
}

interface Tokens {
  readonly access_token: string;
  readonly refresh_token: string | undefined;
  readonly id_token: unknown;
}

function tokenResponse(answer: Answer): Tokens {
  if (answer.status !== 200) throw new Error(`/token: ${answer.status} ${answer.body.slice(0, 200)}`);
  const tokens = JSON.parse(answer.body) as Record<string, unknown>;
  if (typeof tokens.access_token !== 'string')
    throw new Error(`/token: no access token ${answer.body.slice(0, 200)}`);
  return {
    access_token: tokens.access_token,
    refresh_token: typeof tokens.refresh_token === 'string' ? tokens.refresh_token : undefined,
    id_token: tokens.id_token,
  };
}

function jwtAlg(token: unknown): string | undefined {
  if (typeof token !== 'string' || token.split('.').length !== 3) return undefined;
  try {
    return String(JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')).alg);
  } catch {
    return undefined;
  }
}

/** The action and fields (hidden ones included) of the first form whose HTML contains `marker`. */
function formWith(html: string, marker: string): { action: string; fields: Record<string, string> } {
  for (const [, attributes = '', inner = ''] of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
    if (!inner.includes(marker)) continue;
    const fields: Record<string, string> = {};
    for (const [, input = ''] of inner.matchAll(/<input\b([^>]*)>/g)) {
      const name = /\bname="([^"]*)"/.exec(input)?.[1];
      if (name !== undefined)
        fields[unescapeHtml(name)] = unescapeHtml(/\bvalue="([^"]*)"/.exec(input)?.[1] ?? '');
    }
    return { action: unescapeHtml(/\baction="([^"]*)"/.exec(attributes)?.[1] ?? ''), fields };
  }
  throw new Error(`no form with ${marker} on the page: ${html.slice(0, 300)}`);
}

function unescapeHtml(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39|#x27);/g, (_, entity: string) =>
    entity === 'amp' ? '&' : entity === 'lt' ? '<' : entity === 'gt' ? '>' : entity === 'quot' ? '"' : "'",
  );
}
