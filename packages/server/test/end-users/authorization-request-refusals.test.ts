/**
 * The authorization endpoint under bad or hostile requests, over the wire: PKCE is
 * mandatory and S256 only, redirect URIs match exactly or nobody is redirected, `state`
 * comes back untouched, the implicit flow and request objects are refused, and `prompt` /
 * `max_age` mean what OpenID Connect says.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ValidationError } from '../../src/services/validation-error.js';
import { describeEachDatabase } from '../harness.js';
import {
  alice,
  authorizeUrl,
  type Client,
  type ClockedServer,
  codeRequest,
  expectErrorPage,
  expectRedirectError,
  flip,
  formOf,
  isConsentPage,
  isLoginPage,
  obtainCode,
  pkce,
  REDIRECT_URI,
  startClockedServer,
  TestBrowser,
  webClient,
} from './refusals-kit.js';

const WEB_URI = 'https://app.example.com/cb';
const TENANT_URI = 'https://app.example.com/tenant?id=7';

describeEachDatabase('authorization endpoint refusals', (db) => {
  let t: ClockedServer;
  let client: Client;
  /** Registered several redirect URIs, one with a query of its own. */
  let multi: Client;
  let challenge: string;

  before(async () => {
    t = await startClockedServer(db);
    client = await webClient(t);
    multi = await webClient(t, { name: 'Multi', redirectUris: [REDIRECT_URI, WEB_URI, TENANT_URI] });
    await t.server.tessera.users.create({ ...alice, email: 'alice@example.com', name: 'Alice' });
    challenge = pkce().challenge;
  });
  after(() => t.close());

  const visit = (params: Record<string, string | null>, extra: [string, string][] = []) =>
    new TestBrowser(t.issuer).get(authorizeUrl(t, params, extra));

  describe('PKCE', () => {
    it('refuses a request without code_challenge, redirecting invalid_request with state and iss', async () => {
      const params = expectRedirectError(
        t,
        await visit(codeRequest(client, challenge, { code_challenge: null })),
        'invalid_request',
      );
      assert.equal(params.get('state'), 'st-123');
      assert.match(params.get('error_description') ?? '', /PKCE/);
      expectRedirectError(
        t,
        await visit(codeRequest(client, challenge, { code_challenge: '' })),
        'invalid_request',
      );
    });

    it('refuses the plain method, a missing method and any method but S256', async () => {
      for (const method of ['plain', null, 's256', 'S512', '']) {
        const params = expectRedirectError(
          t,
          await visit(codeRequest(client, challenge, { code_challenge_method: method })),
          'invalid_request',
        );
        assert.equal(params.get('state'), 'st-123', `method ${method}`);
      }
    });

    it('refuses a code_challenge that is not a base64url S256 hash', async () => {
      const malformed = [
        challenge.slice(1), // 42 characters
        `${challenge}A`, // 44
        `${challenge.slice(0, 42)}=`, // padding
        `${challenge.slice(0, 42)}+`, // base64, not base64url
        `${challenge.slice(0, 42)}/`,
        `${challenge.slice(0, 42)} `,
        pkce().verifier.repeat(2), // a verifier sent as the challenge
      ];
      for (const code_challenge of malformed) {
        expectRedirectError(
          t,
          await visit(codeRequest(client, challenge, { code_challenge })),
          'invalid_request',
        );
      }
    });
  });

  describe('redirect URIs', () => {
    it('answers an unregistered redirect_uri with a 400 page and never a redirect', async () => {
      const variants = [
        `${REDIRECT_URI}/extra`,
        `${REDIRECT_URI}x`,
        `${REDIRECT_URI}?x=1`,
        `${REDIRECT_URI}#frag`,
        `${REDIRECT_URI}/`,
        `${REDIRECT_URI}/../callback`,
        'HTTP://127.0.0.1:9/callback',
        'http://127.0.0.1:9/Callback',
        'http://127.0.0.1:9/CALLBACK',
        'https://127.0.0.1:9/callback',
        'http://127.0.0.1:90/callback',
        'http://127.0.0.1/callback',
        'http://localhost:9/callback',
        'http://127.0.0.1:9@evil.example/callback',
        'http://evil.example@127.0.0.1:9/callback',
        'http://127.0.0.1.evil.example:9/callback',
        'http://127.0.0.1:9%2Fcallback',
        'http://127.0.0.1:9/%63allback',
        'http://127.0.0.1:9/callback%2F..%2Fevil',
        'http://127.0.0.1:9%40evil.example/callback',
        ` ${REDIRECT_URI}`,
        `${REDIRECT_URI} `,
        '//evil.example/callback',
        '/callback',
        'javascript:alert(1)//127.0.0.1:9/callback',
        'https://APP.example.com/cb',
        'https://app.example.com/CB',
        'http://app.example.com/cb',
        'https://app.example.com:443/cb',
        'https://app.example.com/cb/',
        'https://app.example.com.evil.example/cb',
        'https://app.example.com/tenant?id=8',
        'https://app.example.com/tenant?id=7&x=1',
        'https://app.example.com/tenant',
      ];
      for (const redirect_uri of variants) {
        for (const who of [client, multi]) {
          expectErrorPage(await visit(codeRequest(who, challenge, { redirect_uri })), 400, redirect_uri);
        }
      }
    });

    it('shows the page, not a redirect, even when the request has other errors too', async () => {
      const evil = 'https://evil.example/callback';
      const cases: Record<string, string | null>[] = [
        { code_challenge: null },
        { response_type: 'token' },
        { scope: 'admin' },
        { request: 'eyJ' },
        { prompt: 'none' },
      ];
      for (const changes of cases) {
        const page = await visit(codeRequest(client, challenge, { redirect_uri: evil, ...changes }));
        expectErrorPage(page, 400, JSON.stringify(changes));
      }
      // The authorization endpoint answers POST the same way.
      const browser = new TestBrowser(t.issuer);
      const posted = await browser.submit({
        action: '/authorize',
        fields: codeRequest(client, challenge, { redirect_uri: evil }) as Record<string, string>,
      });
      expectErrorPage(posted, 400, 'POST');
    });

    it('answers an unknown, missing or repeated client, or a missing choice of URI, with a page', async () => {
      expectErrorPage(
        await visit(codeRequest(client, challenge, { client_id: 'cli_unknown' })),
        400,
        'unknown',
      );
      expectErrorPage(await visit(codeRequest(client, challenge, { client_id: null })), 400, 'missing');
      expectErrorPage(await visit(codeRequest(client, challenge, { client_id: '' })), 400, 'empty');
      expectErrorPage(
        await visit(codeRequest(client, challenge), [['client_id', multi.clientId]]),
        400,
        'two clients',
      );
      expectErrorPage(
        await visit(codeRequest(multi, challenge), [['redirect_uri', WEB_URI]]),
        400,
        'two registered redirect URIs',
      );
      // Several registered: the request must say which.
      expectErrorPage(await visit(codeRequest(multi, challenge, { redirect_uri: null })), 400, 'none chosen');
    });

    it('sends errors only to a registered URI, keeping its own query', async () => {
      const params = expectRedirectError(
        t,
        await visit(codeRequest(multi, challenge, { redirect_uri: TENANT_URI, code_challenge: null })),
        'invalid_request',
        'https://app.example.com/tenant',
      );
      assert.equal(params.get('id'), '7');
      // With one registered URI, an omitted redirect_uri means that one.
      const only = await visit(codeRequest(client, challenge, { redirect_uri: null, code_challenge: null }));
      expectRedirectError(t, only, 'invalid_request');
    });

    it('refuses javascript:, data: and other dangerous redirect URIs at registration', async () => {
      const dangerous = [
        'javascript:alert(1)',
        'JavaScript:alert(document.cookie)',
        'javascript://127.0.0.1/%0aalert(1)',
        ' javascript:alert(1)',
        'data:text/html,<script>alert(1)</script>',
        'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
        'vbscript:msgbox(1)',
        'file:///etc/passwd',
        'http://evil.example/cb',
        'https://app.example.com/cb#frag',
        'https://user:pass@app.example.com/cb',
        '/relative/cb',
      ];
      for (const uri of dangerous) {
        await assert.rejects(webClient(t, { redirectUris: [uri] }), ValidationError, `redirect ${uri}`);
        await assert.rejects(
          webClient(t, { postLogoutRedirectUris: [uri] }),
          ValidationError,
          `post-logout redirect ${uri}`,
        );
      }
    });
  });

  describe('state', () => {
    const STATE = 'a b&c=d/é+%20#frag?q=1';

    it('returns state exactly on error redirects', async () => {
      const params = expectRedirectError(
        t,
        await visit(codeRequest(client, challenge, { state: STATE, code_challenge: null })),
        'invalid_request',
      );
      assert.equal(params.get('state'), STATE);
      const denied = expectRedirectError(
        t,
        await visit(codeRequest(client, challenge, { state: STATE, response_type: 'token' })),
        'unsupported_response_type',
      );
      assert.equal(denied.get('state'), STATE);
    });

    it('returns state exactly with the code, and omits it when none was sent', async () => {
      const { callback } = await obtainCode(t, new TestBrowser(t.issuer), client, { state: STATE });
      assert.equal(callback.searchParams.get('state'), STATE);
      assert.equal(callback.searchParams.get('iss'), t.issuer);
      const { callback: stateless } = await obtainCode(t, new TestBrowser(t.issuer), client, { state: null });
      assert.equal(stateless.searchParams.has('state'), false);
    });

    it('echoes login_hint into the sign-in form only as escaped text', async () => {
      const hint = '"><script>alert(1)</script><input name="x" value="';
      const page = await visit(codeRequest(client, challenge, { login_hint: hint }));
      assert.ok(isLoginPage(page));
      assert.ok(!page.html.includes('<script>alert(1)'), 'login_hint injected markup');
      assert.equal(formOf(page.html, 'name="password"').fields.username, hint);
    });

    it('keeps the sealed request: extra or tampered form fields cannot change state or redirect', async () => {
      const browser = new TestBrowser(t.issuer);
      const page = await browser.get(authorizeUrl(t, codeRequest(multi, challenge, { state: STATE })));
      assert.ok(isLoginPage(page));
      const form = formOf(page.html, 'name="password"');
      const sealed = form.fields.authorization_request ?? '';
      assert.ok(sealed.length > 20);

      // Flipping one character of the sealed request, or cutting it, voids it.
      for (const tampered of [flip(sealed), sealed.slice(0, -2), `${sealed}AA`, '', 'e30']) {
        const refused = await browser.submit(form, { ...alice, authorization_request: tampered });
        expectErrorPage(refused, 403, 'tampered request');
        assert.equal(browser.cookies.has('tessera_session'), false, 'signed in by a tampered request');
      }

      // Fields beside the sealed request are ignored.
      const signedIn = await browser.submit(form, {
        ...alice,
        state: 'evil',
        redirect_uri: 'https://evil.example/cb',
        client_id: client.clientId,
        scope: 'photos:write',
      });
      assert.ok(isConsentPage(signedIn), signedIn.html.slice(0, 500));
      assert.ok(!signedIn.html.includes('photos:write'));
      const consent = formOf(signedIn.html, 'value="approve"');
      const approved = await browser.submit(consent, {
        decision: 'approve',
        state: 'evil',
        redirect_uri: WEB_URI,
        client_id: client.clientId,
      });
      assert.equal(approved.status, 303);
      const callback = new URL(approved.location ?? '');
      assert.equal(`${callback.origin}${callback.pathname}`, REDIRECT_URI);
      assert.equal(callback.searchParams.get('state'), STATE);
      assert.ok(callback.searchParams.get('code'));
    });
  });

  describe('flows and parameters that are not supported', () => {
    it('refuses the implicit and hybrid flows, naming the implicit flow', async () => {
      for (const response_type of ['token', 'id_token token', 'id_token', 'code token', 'code id_token']) {
        const params = expectRedirectError(
          t,
          await visit(codeRequest(client, challenge, { response_type, scope: 'openid', nonce: 'n-1' })),
          'unsupported_response_type',
        );
        assert.match(params.get('error_description') ?? '', /implicit flow/i, response_type);
        assert.equal(params.get('state'), 'st-123');
        assert.equal(params.get('access_token'), null);
      }
      expectRedirectError(
        t,
        await visit(codeRequest(client, challenge, { response_type: 'device' })),
        'unsupported_response_type',
      );
      expectRedirectError(
        t,
        await visit(codeRequest(client, challenge, { response_type: null })),
        'invalid_request',
      );
    });

    it('refuses response modes other than query', async () => {
      for (const response_mode of ['fragment', 'form_post', 'web_message', 'query.jwt']) {
        const params = expectRedirectError(
          t,
          await visit(codeRequest(client, challenge, { response_mode })),
          'invalid_request',
        );
        assert.equal(params.get('state'), 'st-123');
      }
    });

    it('refuses request objects by value and by reference', async () => {
      const jwt = 'eyJhbGciOiJub25lIn0.eyJyZWRpcmVjdF91cmkiOiJodHRwczovL2V2aWwuZXhhbXBsZSJ9.';
      expectRedirectError(
        t,
        await visit(codeRequest(client, challenge, { request: jwt })),
        'request_not_supported',
      );
      expectRedirectError(
        t,
        await visit(codeRequest(client, challenge, { request_uri: 'https://evil.example/request.jwt' })),
        'request_uri_not_supported',
      );
      expectRedirectError(
        t,
        await visit(codeRequest(client, challenge, { request_uri: 'urn:ietf:params:oauth:request_uri:abc' })),
        'request_uri_not_supported',
      );
    });

    it('refuses any repeated parameter', async () => {
      for (const name of [
        'scope',
        'state',
        'response_type',
        'code_challenge',
        'code_challenge_method',
        'prompt',
        'nonce',
      ]) {
        const base = codeRequest(client, challenge, { prompt: 'consent', nonce: 'n' });
        const params = expectRedirectError(
          t,
          await visit(base, [[name, base[name] ?? 'x']]),
          'invalid_request',
        );
        assert.match(params.get('error_description') ?? '', new RegExp(name), name);
      }
    });

    it('refuses scopes the client may not hold', async () => {
      for (const scope of ['admin', 'photos:read admin', 'photos:read  photos:write', '"x"']) {
        const visit_ = await visit(codeRequest(client, challenge, { scope }));
        expectRedirectError(t, visit_, 'invalid_scope');
      }
    });
  });

  describe('prompt and max_age', () => {
    async function signedInBrowser(): Promise<TestBrowser> {
      const browser = new TestBrowser(t.issuer);
      await obtainCode(t, browser, client, { scope: 'photos:read' });
      assert.ok(browser.cookies.has('tessera_session'));
      return browser;
    }

    it('prompt=none without a session redirects login_required, never shows a page', async () => {
      const params = expectRedirectError(
        t,
        await visit(codeRequest(client, challenge, { prompt: 'none' })),
        'login_required',
      );
      assert.equal(params.get('state'), 'st-123');
    });

    it('prompt=none with a session but no consent redirects consent_required', async () => {
      const browser = await signedInBrowser();
      // photos:read is approved; photos:write never was.
      const visit_ = await browser.get(
        authorizeUrl(t, codeRequest(client, challenge, { prompt: 'none', scope: 'photos:write' })),
      );
      expectRedirectError(t, visit_, 'consent_required');
      // And with consent it goes straight back with a code: the refusal above was about consent.
      const ok = await browser.get(authorizeUrl(t, codeRequest(client, challenge, { prompt: 'none' })));
      assert.equal(ok.status, 303);
      assert.ok(new URL(ok.location ?? '').searchParams.get('code'));
    });

    it('refuses prompt values that are unknown or combined with none', async () => {
      for (const prompt of ['none login', 'none consent', 'bogus', 'login bogus']) {
        expectRedirectError(t, await visit(codeRequest(client, challenge, { prompt })), 'invalid_request');
      }
      for (const max_age of ['-1', '1.5', 'ten', '1e3', '9999999999']) {
        expectRedirectError(t, await visit(codeRequest(client, challenge, { max_age })), 'invalid_request');
      }
    });

    it('prompt=login shows the sign-in page to a signed-in user, and a new sign-in follows', async () => {
      const browser = await signedInBrowser();
      const before_ = browser.cookies.get('tessera_session');
      const page = await browser.get(authorizeUrl(t, codeRequest(client, challenge, { prompt: 'login' })));
      assert.ok(isLoginPage(page), page.html.slice(0, 300));
      const done = await browser.submit(formOf(page.html, 'name="password"'), alice);
      assert.equal(done.status, 303);
      assert.ok(new URL(done.location ?? '').searchParams.get('code'));
      assert.notEqual(browser.cookies.get('tessera_session'), before_);
    });

    it('prompt=consent shows the consent page although consent is remembered', async () => {
      const browser = await signedInBrowser();
      const remembered = await browser.get(authorizeUrl(t, codeRequest(client, challenge)));
      assert.equal(remembered.status, 303, 'consent should be remembered');
      const page = await browser.get(authorizeUrl(t, codeRequest(client, challenge, { prompt: 'consent' })));
      assert.ok(isConsentPage(page), page.html.slice(0, 300));
    });

    it('max_age older than the sign-in forces a new sign-in; prompt=none then says login_required', async () => {
      const browser = await signedInBrowser();
      t.clock.advance(120);
      const stale = await browser.get(authorizeUrl(t, codeRequest(client, challenge, { max_age: '60' })));
      assert.ok(isLoginPage(stale), stale.html.slice(0, 300));
      expectRedirectError(
        t,
        await browser.get(authorizeUrl(t, codeRequest(client, challenge, { max_age: '60', prompt: 'none' }))),
        'login_required',
      );
      const fresh = await browser.get(authorizeUrl(t, codeRequest(client, challenge, { max_age: '600' })));
      assert.equal(fresh.status, 303, 'a sign-in 120 s ago satisfies max_age=600');
    });

    it('max_age=0 forces a new sign-in, as prompt=login does (OIDC Core §3.1.2.1)', async () => {
      // The clock has not moved since the sign-in: the session is zero seconds old.
      const browser = await signedInBrowser();
      const page = await browser.get(authorizeUrl(t, codeRequest(client, challenge, { max_age: '0' })));
      assert.ok(isLoginPage(page), `max_age=0 went ${page.status} ${page.location}`);
      const done = await browser.submit(formOf(page.html, 'name="password"'), alice);
      assert.equal(done.status, 303, 'the sign-in just made satisfies max_age=0');
      assert.ok(new URL(done.location ?? '').searchParams.get('code'));
    });
  });
});
