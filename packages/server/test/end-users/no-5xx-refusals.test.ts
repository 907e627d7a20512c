/**
 * Whatever a browser or client sends to the authorization endpoint, the sign-in, consent,
 * account and logout pages or the token endpoint, the answer is never a 5xx: arbitrary query
 * strings and forms, often carrying a real client, a real CSRF token or a real sealed request
 * so that the input reaches past the first check. A few known-hostile inputs run first as
 * fixed examples.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import fc from 'fast-check';
import { basic, describeEachDatabase } from '../harness.js';
import {
  alice,
  authorizeUrl,
  type Client,
  type ClockedServer,
  codeRequest,
  formOf,
  obtainCode,
  obtainTokens,
  pkce,
  REDIRECT_URI,
  signIn,
  startClockedServer,
  TestBrowser,
  webClient,
} from './refusals-kit.js';

const RUNS = 100;

/** Text a fuzzer should try: empty, control characters, NUL, stray percent signs, any Unicode. */
const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'a\u0000b',
    '%',
    '%00',
    '%zz',
    '\ud800',
    'null',
    '[]',
    '{}',
    '../',
    '\r\n',
  ),
);
/** Either fuzz or (as null) the real value the test substitutes. */
const orReal = fc.oneof(text, fc.constant(null));
const AUTHORIZE_PARAMS = [
  'response_type',
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'prompt',
  'max_age',
  'login_hint',
  'response_mode',
  'resource',
  'request',
  'request_uri',
];

type Fields = Record<string, string | null>;

/** The form body: each null replaced by the real value of that field, then the extra pairs. */
function body(fields: Fields, real: Record<string, string>, extra: [string, string][] = []): string {
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) form.append(name, value ?? real[name] ?? '');
  for (const [name, value] of extra) form.append(name, value);
  return form.toString();
}

const post = (url: string, form: string, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: form,
  });

const cookieOf = (browser: TestBrowser) =>
  [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; ');

async function below500(response: Response, what: string): Promise<void> {
  const text_ = await response.text();
  assert.ok(response.status < 500, `${response.status} for ${what}: ${text_.slice(0, 200)}`);
}

describeEachDatabase('no 5xx for hostile browser and token requests', (db) => {
  let t: ClockedServer;
  let client: Client;
  let publicClient: Client;

  before(async () => {
    t = await startClockedServer(db);
    client = await webClient(t, { postLogoutRedirectUris: ['http://127.0.0.1:9/bye'] });
    publicClient = await webClient(t, { name: 'Native App', authMethod: 'none' });
    await t.server.tessera.users.create({ ...alice });
  });
  after(() => t.close());

  it('a NUL byte in a client_id or username is refused like any unknown one, on every endpoint', async () => {
    // PostgreSQL text cannot hold U+0000: looked up as it is, it fails the query.
    const browser = new TestBrowser(t.issuer);
    const page = await browser.get(authorizeUrl(t, codeRequest(client, pkce().challenge)));
    const signInForm = formOf(page.html, 'name="password"');
    const checks: [string, () => Promise<Response>][] = [
      ['GET /authorize', () => fetch(`${t.issuer}/authorize?client_id=%00`, { redirect: 'manual' })],
      ['POST /authorize', () => post(`${t.issuer}/authorize`, 'client_id=cli_%00')],
      ['GET /logout', () => fetch(`${t.issuer}/logout?client_id=%00`, { redirect: 'manual' })],
      ['POST /token', () => post(`${t.issuer}/token`, 'grant_type=authorization_code&code=x&client_id=%00')],
      ['POST /introspect', () => post(`${t.issuer}/introspect`, 'token=x&client_id=%00')],
      ['POST /revoke', () => post(`${t.issuer}/revoke`, 'token=x&client_id=%00')],
      [
        'POST /login',
        () =>
          post(
            `${t.issuer}/login`,
            body({ username: 'alice\u0000', password: 'x', csrf_token: null }, signInForm.fields),
            { cookie: cookieOf(browser) },
          ),
      ],
    ];
    const member = new TestBrowser(t.issuer);
    await signIn(t, member);
    // The logout confirmation always has a form; the account page has one per approved app.
    const csrf = formOf((await member.get(`${t.issuer}/logout`)).html, 'name="csrf_token"').fields.csrf_token;
    checks.push([
      'POST /account/revoke',
      () =>
        post(`${t.issuer}/account/revoke`, body({ csrf_token: csrf ?? '', client_id: '\u0000' }, {}), {
          cookie: cookieOf(member),
        }),
    ]);
    const failures: string[] = [];
    for (const [what, send] of checks) {
      const response = await send();
      if (response.status >= 500) failures.push(`${what}: ${response.status}`);
      await response.body?.cancel();
    }
    assert.deepEqual(failures, []);
  });

  it('the authorization endpoint, GET and POST, any query', async () => {
    const pair = fc.tuple(
      fc.oneof(fc.constantFrom(...AUTHORIZE_PARAMS), text),
      fc.oneof(
        text,
        fc.constantFrom(client.clientId, REDIRECT_URI, 'code', 'S256', pkce().challenge, 'none'),
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(pair, { maxLength: 12 }),
        fc.boolean(),
        fc.string({ maxLength: 30 }),
        async (pairs, asPost, raw) => {
          // A raw tail too, with whatever percent escapes and separators it has.
          const search = `${new URLSearchParams(pairs)}&${encodeURI(raw).replaceAll('%25', '%')}`;
          const response = asPost
            ? await post(`${t.issuer}/authorize`, search)
            : await fetch(`${t.issuer}/authorize?${search}`, { redirect: 'manual' });
          await below500(response, `${asPost ? 'POST' : 'GET'} ${search}`);
        },
      ),
      {
        numRuns: RUNS,
        examples: [
          [[['client_id', '\u0000']], false, ''],
          [[['client_id', `${client.clientId}\u0000`]], true, ''],
        ],
      },
    );
  });

  it('the sign-in form, any fields, with or without a real token and request', async () => {
    const fields = fc.record(
      { username: orReal, password: orReal, csrf_token: orReal, authorization_request: orReal },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fields, fc.array(fc.tuple(text, text), { maxLength: 4 }), async (form, extra) => {
        // A new window for the throttle, so it does not answer in place of the code under test.
        t.clock.advance(3601);
        const browser = new TestBrowser(t.issuer);
        const page = await browser.get(authorizeUrl(t, codeRequest(client, pkce().challenge)));
        const real = { ...formOf(page.html, 'name="password"').fields, ...alice };
        const sent = body(form, real, extra);
        await below500(await post(`${t.issuer}/login`, sent, { cookie: cookieOf(browser) }), sent);
      }),
      {
        numRuns: RUNS,
        examples: [
          [{ username: 'a\u0000', password: 'x', csrf_token: null }, []],
          [{ username: null, password: 'x\u0000', csrf_token: null, authorization_request: null }, []],
        ],
      },
    );
  });

  it('the consent form, any fields, from a signed-in browser', async () => {
    const browser = new TestBrowser(t.issuer);
    const first = await browser.get(
      authorizeUrl(t, codeRequest(client, pkce().challenge, { scope: 'photos:write', prompt: 'consent' })),
    );
    const approve = await browser.submit(formOf(first.html, 'name="password"'), alice);
    const real = { ...formOf(approve.html, 'value="approve"').fields, decision: 'approve' };
    const fields = fc.record(
      { decision: fc.oneof(orReal, fc.constant('deny')), csrf_token: orReal, authorization_request: orReal },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fields, fc.array(fc.tuple(text, text), { maxLength: 4 }), async (form, extra) => {
        const sent = body(form, real, extra);
        await below500(await post(`${t.issuer}/consent`, sent, { cookie: cookieOf(browser) }), sent);
      }),
      { numRuns: RUNS },
    );
  });

  it('the account and logout pages, any client and redirect, from a signed-in browser', async () => {
    const browser = new TestBrowser(t.issuer);
    await signIn(t, browser);
    const confirm = await browser.get(`${t.issuer}/logout`);
    const real: Record<string, string> = {
      csrf_token: formOf(confirm.html, 'name="csrf_token"').fields.csrf_token ?? '',
      client_id: client.clientId,
      post_logout_redirect_uri: 'http://127.0.0.1:9/bye',
    };
    const revoke = fc.record({ csrf_token: orReal, client_id: orReal }, { requiredKeys: [] });
    const logout = fc.record(
      { client_id: orReal, post_logout_redirect_uri: orReal, id_token_hint: text, state: text },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(revoke, logout, async (revokeForm, logoutQuery) => {
        const sent = body(revokeForm, real);
        await below500(await post(`${t.issuer}/account/revoke`, sent, { cookie: cookieOf(browser) }), sent);
        const query = body(logoutQuery, real);
        // GET only: the confirming POST would end the session the next run needs.
        const response = await fetch(`${t.issuer}/logout?${query}`, {
          redirect: 'manual',
          headers: { cookie: cookieOf(browser) },
        });
        await below500(response, `GET /logout?${query}`);
      }),
      {
        numRuns: RUNS,
        examples: [[{ csrf_token: null, client_id: '\u0000' }, { client_id: '\u0000' }]],
      },
    );
  });

  it('the token endpoint, code and refresh grants, any parameters and client', async () => {
    const { code, verifier } = await obtainCode(t, new TestBrowser(t.issuer), client);
    const real: Record<string, string> = {
      code,
      code_verifier: verifier,
      redirect_uri: REDIRECT_URI,
      refresh_token: (await obtainTokens(t, new TestBrowser(t.issuer), client)).refresh_token ?? '',
      scope: 'photos:read',
      client_id: publicClient.clientId,
    };
    const form = fc.record(
      {
        grant_type: fc.oneof(fc.constantFrom('authorization_code', 'refresh_token'), text),
        code: orReal,
        code_verifier: orReal,
        redirect_uri: orReal,
        refresh_token: orReal,
        scope: orReal,
        client_id: orReal,
      },
      { requiredKeys: ['grant_type'] },
    );
    const auth = fc.oneof(
      fc.constant(undefined),
      fc.constant(basic(client.clientId, client.clientSecret)),
      text.map((value) => `Basic ${Buffer.from(value).toString('base64')}`),
      fc.string({ unit: 'grapheme-ascii', maxLength: 30 }).map((value) => `Bearer ${value}`),
    );
    await fc.assert(
      fc.asyncProperty(form, auth, async (fields, authorization) => {
        const sent = body(fields, real);
        let response: Response;
        try {
          response = await post(
            `${t.issuer}/token`,
            sent,
            authorization === undefined ? {} : { authorization },
          );
        } catch (error) {
          // A header value fetch itself refuses to send never reaches the server.
          if (error instanceof TypeError) return;
          throw error;
        }
        await below500(response, `${sent} (${authorization})`);
      }),
      {
        numRuns: RUNS,
        examples: [
          [{ grant_type: 'authorization_code', code: null, client_id: '\u0000' }, undefined],
          [{ grant_type: 'refresh_token', refresh_token: null, client_id: 'cli_\u0000' }, undefined],
        ],
      },
    );
  });
});
