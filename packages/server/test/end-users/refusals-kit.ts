/**
 * Shared by the `*-refusals.test.ts` suites: a server on a clock the test moves, and the
 * few steps of the authorization code flow done by hand, so each refusal can be aimed at
 * exactly one of them.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { RawSettings } from '../../src/config/server-config.js';
import type { CreateClientInput } from '../../src/services/clients.js';
import { basic, postForm, startTestServer, type TestDatabase, type TestServer } from '../harness.js';
import { formOf, type PageForm, signInAndApprove, TestBrowser, type Visit } from './browser.js';

export const REDIRECT_URI = 'http://127.0.0.1:9/callback';
export const alice = { username: 'alice', password: 'correct horse battery staple' };
export const bob = { username: 'bob', password: 'tr0ub4dor&3 is not enough' };

/** A server whose clock (epoch seconds) stands still until the test moves it. */
export interface ClockedServer extends TestServer {
  readonly clock: { now(): number; advance(seconds: number): void };
}

export async function startClockedServer(
  db: TestDatabase,
  settings: RawSettings = {},
): Promise<ClockedServer> {
  let current = Math.floor(Date.now() / 1000);
  const server = await startTestServer(db, settings, () => current);
  return {
    ...server,
    clock: {
      now: () => current,
      advance: (seconds) => {
        current += seconds;
      },
    },
  };
}

export interface Client {
  readonly clientId: string;
  readonly clientSecret: string;
}

/** A confidential web application using the code flow with refresh tokens. */
export function webClient(t: TestServer, input: Partial<CreateClientInput> = {}): Promise<Client> {
  return t.createClient({
    name: 'Photo App',
    grantTypes: ['authorization_code', 'refresh_token'],
    redirectUris: [REDIRECT_URI],
    scopes: ['photos:read', 'photos:write'],
    ...input,
  });
}

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** An authorization URL; a null value leaves a parameter out. */
export function authorizeUrl(
  t: TestServer,
  params: Record<string, string | null>,
  extra: [string, string][] = [],
): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== null) query.set(name, value);
  for (const [name, value] of extra) query.append(name, value);
  return `${t.issuer}/authorize?${query}`;
}

/** The parameters of a good authorization request for `client`, with `changes` applied. */
export function codeRequest(
  client: Client,
  challenge: string,
  changes: Record<string, string | null> = {},
): Record<string, string | null> {
  return {
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: REDIRECT_URI,
    scope: 'photos:read',
    state: 'st-123',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...changes,
  };
}

/** Runs a good authorization request in `browser` through sign-in and consent; returns its code. */
export async function obtainCode(
  t: TestServer,
  browser: TestBrowser,
  client: Client,
  changes: Record<string, string | null> = {},
  user = alice,
): Promise<{ code: string; verifier: string; callback: URL }> {
  const { verifier, challenge } = pkce();
  const callback = await signInAndApprove(
    browser,
    authorizeUrl(t, codeRequest(client, challenge, changes)),
    user,
  );
  const code = callback.searchParams.get('code');
  assert.ok(code, `no code in ${callback}`);
  return { code, verifier, callback };
}

export const token = (t: TestServer, form: Record<string, string> | string, client?: Client) =>
  postForm(
    `${t.issuer}/token`,
    form,
    client === undefined || client.clientSecret === ''
      ? {}
      : { authorization: basic(client.clientId, client.clientSecret) },
  );

export function exchange(
  t: TestServer,
  client: Client,
  code: string,
  verifier: string | null,
  redirectUri: string | null = REDIRECT_URI,
): Promise<Response> {
  const form: Record<string, string> = { grant_type: 'authorization_code', code };
  if (verifier !== null) form.code_verifier = verifier;
  if (redirectUri !== null) form.redirect_uri = redirectUri;
  if (client.clientSecret === '') form.client_id = client.clientId;
  return token(t, form, client);
}

export interface Tokens {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
  scope: string;
}

/** A full flow: sign-in, consent, exchange. */
export async function obtainTokens(
  t: TestServer,
  browser: TestBrowser,
  client: Client,
  changes: Record<string, string | null> = {},
  user = alice,
): Promise<Tokens> {
  const { code, verifier } = await obtainCode(t, browser, client, changes, user);
  const response = await exchange(t, client, code, verifier);
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  return body as Tokens;
}

export const refresh = (t: TestServer, client: Client, refreshToken: string, scope?: string) =>
  token(
    t,
    {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      ...(scope === undefined ? {} : { scope }),
      ...(client.clientSecret === '' ? { client_id: client.clientId } : {}),
    },
    client,
  );

/** Whether the server still considers `value` live, asked by `client` (a confidential one). */
export async function isActive(t: TestServer, client: Client, value: string): Promise<boolean> {
  const response = await postForm(
    `${t.issuer}/introspect`,
    { token: value },
    { authorization: basic(client.clientId, client.clientSecret) },
  );
  assert.equal(response.status, 200);
  return ((await response.json()) as { active: boolean }).active;
}

/** Asserts an RFC 6749 §5.2 error response and returns its description. */
export async function expectOAuthError(
  response: Response,
  status: number,
  error: string,
  what = '',
): Promise<string> {
  const text = await response.text();
  assert.equal(response.status, status, `${what}: ${response.status} ${text}`);
  const body = JSON.parse(text) as { error: string; error_description: string };
  assert.equal(body.error, error, `${what}: ${text}`);
  assert.equal(response.headers.get('cache-control'), 'no-store', what);
  return body.error_description;
}

/** Asserts a 303 back to the registered redirect URI carrying `error`; returns its parameters. */
export function expectRedirectError(
  t: TestServer,
  visit: Visit,
  error: string,
  redirectUri = REDIRECT_URI,
): URLSearchParams {
  assert.equal(visit.status, 303, `expected a redirect with ${error}, got ${visit.status}: ${visit.html}`);
  assert.ok(visit.location?.startsWith(`${redirectUri}?`), `redirected to ${visit.location}`);
  const url = new URL(visit.location ?? '');
  assert.equal(`${url.origin}${url.pathname}`, redirectUri);
  assert.equal(url.searchParams.get('error'), error, visit.location ?? '');
  assert.equal(url.searchParams.get('iss'), t.issuer);
  assert.equal(url.searchParams.get('code'), null);
  return url.searchParams;
}

/** Asserts the HTML error page that is never a redirect. */
export function expectErrorPage(visit: Visit, status: number, what = ''): void {
  assert.equal(
    visit.status,
    status,
    `${what}: ${visit.status} ${visit.location ?? ''} ${visit.html.slice(0, 500)}`,
  );
  assert.equal(visit.location, null, `${what}: redirected to ${visit.location}`);
  assert.match(visit.headers.get('content-type') ?? '', /^text\/html/, what);
  assert.ok(!visit.html.includes('name="password"'), `${what}: a sign-in form`);
  assert.ok(!visit.html.includes('value="approve"'), `${what}: a consent form`);
}

/** `value` with its middle character changed: the same length, different bytes. */
export function flip(value: string): string {
  const at = Math.floor(value.length / 2);
  return `${value.slice(0, at)}${value[at] === 'A' ? 'B' : 'A'}${value.slice(at + 1)}`;
}

export const isLoginPage = (visit: Visit) => visit.status === 200 && visit.html.includes('name="password"');
export const isConsentPage = (visit: Visit) => visit.status === 200 && visit.html.includes('value="approve"');

/** Signs `browser` in from the account page (no authorization request pending). */
export async function signIn(t: TestServer, browser: TestBrowser, user = alice): Promise<Visit> {
  const page = await browser.get(`${t.issuer}/account`);
  assert.ok(isLoginPage(page), page.html.slice(0, 500));
  const visit = await browser.submit(formOf(page.html, 'name="password"'), user);
  assert.equal(visit.status, 303, visit.html.slice(0, 500));
  return visit;
}

export { formOf, type PageForm, signInAndApprove, TestBrowser, type Visit };
