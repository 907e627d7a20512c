/**
 * The pages a browser sees, attacked as a browser would be: forms posted without their
 * CSRF token or from another browser, sign-in guessed at, sessions fixed, pages framed,
 * logout aimed at somewhere else; and what the account page and logout must take away.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { describeEachDatabase } from '../harness.js';
import {
  alice,
  authorizeUrl,
  bob,
  type Client,
  type ClockedServer,
  codeRequest,
  expectErrorPage,
  flip,
  formOf,
  isActive,
  isConsentPage,
  isLoginPage,
  obtainTokens,
  pkce,
  REDIRECT_URI,
  refresh,
  signIn,
  startClockedServer,
  TestBrowser,
  type Visit,
  webClient,
} from './refusals-kit.js';

const LOGGED_OUT_URI = 'http://127.0.0.1:9/logged-out';

describeEachDatabase('browser page refusals', (db) => {
  let t: ClockedServer;
  let client: Client;
  let other: Client;

  before(async () => {
    t = await startClockedServer(db);
    client = await webClient(t, { postLogoutRedirectUris: [LOGGED_OUT_URI] });
    other = await webClient(t, { name: 'Other App' });
    await t.server.tessera.users.create({ ...alice, email: 'alice@example.com', name: 'Alice' });
    await t.server.tessera.users.create({ ...bob, name: 'Bob' });
  });
  after(() => t.close());

  const loginPage = async (browser: TestBrowser, changes: Record<string, string | null> = {}) => {
    const page = await browser.get(authorizeUrl(t, codeRequest(client, pkce().challenge, changes)));
    assert.ok(isLoginPage(page), page.html.slice(0, 300));
    return page;
  };
  const consentPage = async (browser: TestBrowser, user = alice) => {
    const page = await loginPage(browser, { scope: 'photos:read photos:write', prompt: 'consent' });
    const consent = await browser.submit(formOf(page.html, 'name="password"'), user);
    assert.ok(isConsentPage(consent), consent.html.slice(0, 300));
    return consent;
  };
  const refusedForm = (visit: Visit, what: string) => {
    expectErrorPage(visit, 403, what);
    assert.match(visit.html, /This form has expired/, what);
  };
  /** Whether `browser` is signed in: an authorization request shows no sign-in form. */
  const signedIn = async (browser: TestBrowser) =>
    !isLoginPage(await browser.get(authorizeUrl(t, codeRequest(client, pkce().challenge))));

  describe('CSRF', () => {
    it('refuses a sign-in posted without its token, with a wrong one, or with another browser’s', async () => {
      const browser = new TestBrowser(t.issuer);
      const form = formOf((await loginPage(browser)).html, 'name="password"');
      const token = form.fields.csrf_token ?? '';
      const stranger = new TestBrowser(t.issuer);
      const strangerToken =
        formOf((await loginPage(stranger)).html, 'name="password"').fields.csrf_token ?? '';
      assert.notEqual(strangerToken, token);
      const attempts: [string, string | null][] = [
        ['missing', null],
        ['empty', ''],
        ['wrong', 'x'.repeat(token.length)],
        ['altered', `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`],
        ["another browser's", strangerToken],
      ];
      for (const [what, csrf_token] of attempts) {
        const visit = await browser.submit(form, { ...alice, csrf_token });
        refusedForm(visit, what);
        assert.equal(browser.cookies.has('tessera_session'), false, `${what}: signed in`);
      }
      assert.equal(await signedIn(browser), false);
    });

    it('refuses a sign-in form carried to another browser, whole or only its request', async () => {
      const victim = new TestBrowser(t.issuer);
      const form = formOf((await loginPage(victim)).html, 'name="password"');
      // A browser with no binding cookie at all: the form posted cross-site to a fresh client.
      const fresh = new TestBrowser(t.issuer);
      refusedForm(await fresh.submit(form, alice), 'fresh browser');
      assert.equal(fresh.cookies.has('tessera_session'), false);
      // A browser with its own valid token, posting the victim's sealed request.
      const attacker = new TestBrowser(t.issuer);
      const own = formOf((await loginPage(attacker)).html, 'name="password"');
      const moved = await attacker.submit(own, {
        ...alice,
        authorization_request: form.fields.authorization_request ?? '',
      });
      refusedForm(moved, 'moved request');
      assert.equal(attacker.cookies.has('tessera_session'), false);
    });

    it('refuses a consent posted without a valid token or from another browser, issuing no code', async () => {
      const browser = new TestBrowser(t.issuer);
      const consent = formOf((await consentPage(browser)).html, 'value="approve"');
      const attacker = new TestBrowser(t.issuer);
      const attackerConsent = formOf((await consentPage(attacker, bob)).html, 'value="approve"');
      const attempts: [string, Record<string, string | null>][] = [
        ['missing', { csrf_token: null }],
        ['wrong', { csrf_token: 'nope' }],
        ["another browser's token", { csrf_token: attackerConsent.fields.csrf_token ?? '' }],
        ['no request', { authorization_request: null }],
        ['tampered request', { authorization_request: flip(consent.fields.authorization_request ?? '') }],
        [
          "another browser's request",
          { authorization_request: attackerConsent.fields.authorization_request ?? '' },
        ],
      ];
      for (const [what, changes] of attempts) {
        refusedForm(await browser.submit(consent, { decision: 'approve', ...changes }), what);
      }
      // The victim's whole consent form, posted by the attacker's browser.
      refusedForm(await attacker.submit(consent, { decision: 'approve' }), 'posted by another browser');
      // The form itself was good all along.
      const approved = await browser.submit(consent, { decision: 'approve' });
      assert.equal(approved.status, 303);
      assert.ok(new URL(approved.location ?? '').searchParams.get('code'));
    });

    it('the sign-in renews the CSRF binding: a token from before it is dead after it', async () => {
      const browser = new TestBrowser(t.issuer);
      const page = await loginPage(browser, { scope: 'photos:write', prompt: 'consent' });
      const before_ = formOf(page.html, 'name="password"');
      const bindingBefore = browser.cookies.get('tessera_csrf');
      const consent = formOf((await browser.submit(before_, alice)).html, 'value="approve"');
      assert.notEqual(browser.cookies.get('tessera_csrf'), bindingBefore);
      assert.notEqual(consent.fields.csrf_token, before_.fields.csrf_token);
      refusedForm(
        await browser.submit(consent, { decision: 'approve', csrf_token: before_.fields.csrf_token ?? '' }),
        'pre-sign-in token',
      );
    });

    it('refuses a logout posted without a valid token: the session lives on', async () => {
      const browser = new TestBrowser(t.issuer);
      await signIn(t, browser);
      const attacker = new TestBrowser(t.issuer);
      await signIn(t, attacker, bob);
      const page = await browser.get(`${t.issuer}/logout`);
      assert.equal(page.status, 200);
      const form = formOf(page.html, 'name="csrf_token"');
      const attackerForm = formOf((await attacker.get(`${t.issuer}/logout`)).html, 'name="csrf_token"');
      for (const [what, csrf_token] of [
        ['missing', null],
        ['wrong', 'forged'],
        ["another browser's", attackerForm.fields.csrf_token ?? ''],
      ] as const) {
        refusedForm(await browser.submit(form, { csrf_token }), what);
      }
      // A cross-site form post carries the session cookie but not the binding's token.
      refusedForm(await attacker.submit(form), 'posted by another browser');
      assert.ok(browser.cookies.has('tessera_session'));
      assert.equal(await signedIn(browser), true, 'logged out by a forged post');
    });

    it('refuses an account revocation posted without a valid token: consent remains', async () => {
      const browser = new TestBrowser(t.issuer);
      const tokens = await obtainTokens(t, browser, other);
      const account = await browser.get(`${t.issuer}/account`);
      const form = formOf(account.html, `value="${other.clientId}"`);
      const attacker = new TestBrowser(t.issuer);
      await signIn(t, attacker, bob);
      const attackerToken = formOf((await attacker.get(`${t.issuer}/logout`)).html, 'name="csrf_token"')
        .fields.csrf_token;
      for (const [what, csrf_token] of [
        ['missing', null],
        ['wrong', 'forged'],
        ["another browser's", attackerToken ?? ''],
      ] as const) {
        refusedForm(await browser.submit(form, { csrf_token }), what);
      }
      refusedForm(await attacker.submit(form), 'posted by another browser');
      assert.equal(await isActive(t, other, tokens.access_token), true);
      const again = await browser.get(authorizeUrl(t, codeRequest(other, pkce().challenge)));
      assert.equal(again.status, 303, 'consent was withdrawn by a forged post');
    });

    it('refuses a sign-in form left open past its time', async () => {
      const browser = new TestBrowser(t.issuer);
      const form = formOf((await loginPage(browser)).html, 'name="password"');
      t.clock.advance(601);
      refusedForm(await browser.submit(form, alice), 'expired');
      assert.equal(browser.cookies.has('tessera_session'), false);
    });
  });

  describe('sign-in', () => {
    const attempt = async (username: string, password: string) => {
      const browser = new TestBrowser(t.issuer);
      const form = formOf((await loginPage(browser)).html, 'name="password"');
      const visit = await browser.submit(form, { username, password });
      return { visit, browser };
    };
    /** The page with every value attribute and the echoed username blanked out. */
    const shape = (visit: Visit, username: string) =>
      visit.html.replace(/value="[^"]*"/g, 'value=""').replaceAll(username, 'USERNAME');

    it('a wrong password and an unknown username read exactly alike', async () => {
      // A new window: the address has failures to spare (30 per 15 minutes).
      t.clock.advance(16 * 60);
      const wrong = await attempt('alice', 'not the password');
      const unknown = await attempt('nobody-by-this-name', 'not the password');
      // 400 or 401, as long as it is the same for both and not the lock's 429.
      assert.ok([400, 401].includes(wrong.visit.status), `status ${wrong.visit.status}`);
      assert.equal(unknown.visit.status, wrong.visit.status);
      assert.equal(shape(wrong.visit, 'alice'), shape(unknown.visit, 'nobody-by-this-name'));
      assert.match(wrong.visit.html, /The username or password is incorrect\./);
      assert.equal(wrong.browser.cookies.has('tessera_session'), false);
    });

    it('locks a username after repeated failures, whether or not it exists; the right password waits too', async () => {
      t.clock.advance(16 * 60);
      for (const username of ['bob', 'mallory-does-not-exist']) {
        for (let i = 0; i < 5; i++) {
          const failed = await attempt(username, `guess ${i}`);
          assert.ok(
            [400, 401].includes(failed.visit.status),
            `${username} attempt ${i}: ${failed.visit.status}`,
          );
        }
        const locked = await attempt(username, 'guess 6');
        assert.equal(locked.visit.status, 429, username);
        assert.match(locked.visit.html, /Too many sign-in attempts/, username);
        // The same name in other case or width counts as the same account.
        const folded = await attempt(username.toUpperCase(), 'guess 7');
        assert.equal(folded.visit.status, 429, `${username} upper case`);
      }
      const right = await attempt(bob.username, bob.password);
      assert.equal(right.visit.status, 429, 'the right password got through a lock');
      assert.match(right.visit.html, /Too many sign-in attempts/);
      assert.equal(right.browser.cookies.has('tessera_session'), false);
      // Another account is not locked by bob's failures.
      const alicesTurn = await attempt(alice.username, alice.password);
      assert.notEqual(alicesTurn.visit.status, 429, 'alice locked by failures on others');
      assert.ok(alicesTurn.browser.cookies.has('tessera_session'));
      // The lock is the only thing in the way: once it lapses the password works.
      t.clock.advance(31);
      const later = await attempt(bob.username, bob.password);
      assert.notEqual(later.visit.status, 429);
      assert.ok(later.browser.cookies.has('tessera_session'));
    });
  });

  describe('cookies and page headers', () => {
    const cookieLine = (visit: Visit, name: string) =>
      visit.headers.getSetCookie().find((line) => line.startsWith(`${name}=`));

    it('sets HttpOnly, SameSite=Lax, Path=/ cookies, not Secure over http', async () => {
      const browser = new TestBrowser(t.issuer);
      const page = await loginPage(browser);
      const csrf = cookieLine(page, 'tessera_csrf');
      assert.ok(csrf, 'no CSRF cookie with the sign-in page');
      const signedIn_ = await browser.submit(formOf(page.html, 'name="password"'), alice);
      const session = cookieLine(signedIn_, 'tessera_session');
      assert.ok(session, 'no session cookie at sign-in');
      for (const line of [csrf, session]) {
        const attributes = line.split(';').map((part) => part.trim().toLowerCase());
        assert.ok(attributes.includes('httponly'), line);
        assert.ok(attributes.includes('samesite=lax'), line);
        assert.ok(attributes.includes('path=/'), line);
        assert.ok(!attributes.includes('secure'), line);
        assert.ok(!attributes.some((attribute) => attribute.startsWith('domain=')), line);
      }
    });

    it('uses Secure __Host- cookies when the issuer is https', async () => {
      const secure = await startClockedServer(db, { issuer: 'https://login.example.com' });
      try {
        const app = await webClient(secure);
        const response = await fetch(
          `${secure.server.url}/authorize?${new URLSearchParams(codeRequest(app, pkce().challenge) as Record<string, string>)}`,
        );
        assert.equal(response.status, 200);
        const line = response.headers
          .getSetCookie()
          .find((cookie) => cookie.startsWith('__Host-tessera_csrf='));
        assert.ok(line, response.headers.getSetCookie().join('\n'));
        assert.match(line, /; Secure/);
        assert.match(line, /; Path=\//);
      } finally {
        await secure.close();
      }
    });

    it('gives a new session cookie at every sign-in; a planted or earlier one is worthless', async () => {
      const browser = new TestBrowser(t.issuer);
      // Session fixation: the attacker plants a value before the victim signs in.
      browser.cookies.set('tessera_session', 'tss_planted');
      await signIn(t, browser);
      const first = browser.cookies.get('tessera_session');
      assert.ok(first?.startsWith('tss_'));
      assert.notEqual(first, 'tss_planted');

      const page = await browser.get(
        authorizeUrl(t, codeRequest(client, pkce().challenge, { prompt: 'login' })),
      );
      await browser.submit(formOf(page.html, 'name="password"'), alice);
      const second = browser.cookies.get('tessera_session');
      assert.ok(second);
      assert.notEqual(second, first);
      // The session the earlier cookie named has ended.
      const old = new TestBrowser(t.issuer);
      old.cookies.set('tessera_session', first ?? '');
      assert.equal(await signedIn(old), false, 'the pre-sign-in session still works');
    });

    it('every page forbids framing and caching', async () => {
      const browser = new TestBrowser(t.issuer);
      const pages: [string, Visit][] = [];
      const login = await loginPage(browser, { prompt: 'consent' });
      pages.push(['login', login]);
      const consent = await browser.submit(formOf(login.html, 'name="password"'), alice);
      pages.push(['consent', consent]);
      pages.push([
        'stale form',
        await new TestBrowser(t.issuer).submit(formOf(consent.html, 'value="approve"')),
      ]);
      pages.push([
        'error',
        await browser.get(
          authorizeUrl(t, codeRequest(client, pkce().challenge, { client_id: 'cli_nobody' })),
        ),
      ]);
      pages.push(['account', await browser.get(`${t.issuer}/account`)]);
      const logout = await browser.get(`${t.issuer}/logout`);
      pages.push(['logout', logout]);
      pages.push(['signed out', await browser.submit(formOf(logout.html, 'name="csrf_token"'))]);
      pages.push([
        'redirect',
        await browser.get(authorizeUrl(t, codeRequest(client, pkce().challenge, { prompt: 'none' }))),
      ]);
      for (const [what, visit] of pages) {
        const csp = visit.headers.get('content-security-policy') ?? '';
        assert.match(csp, /frame-ancestors 'none'/, what);
        assert.match(csp, /default-src 'none'/, what);
        assert.equal(visit.headers.get('x-frame-options'), 'DENY', what);
        assert.equal(visit.headers.get('cache-control'), 'no-store', what);
        assert.equal(visit.headers.get('referrer-policy'), 'no-referrer', what);
      }
    });
  });

  describe('account page and logout', () => {
    it('revoking a client on the account page kills its tokens and asks consent again', async () => {
      const browser = new TestBrowser(t.issuer);
      const tokens = await obtainTokens(t, browser, client);
      const kept = await obtainTokens(t, browser, other);
      const account = await browser.get(`${t.issuer}/account`);
      assert.match(account.html, /Photo App/);
      const revoked = await browser.submit(formOf(account.html, `value="${client.clientId}"`));
      assert.equal(revoked.status, 303);

      assert.equal(await isActive(t, client, tokens.access_token), false, 'access token');
      assert.equal((await refresh(t, client, tokens.refresh_token ?? '')).status, 400, 'refresh token');
      const again = await browser.get(authorizeUrl(t, codeRequest(client, pkce().challenge)));
      assert.ok(isConsentPage(again), `no consent asked: ${again.status} ${again.location}`);
      // The other application keeps what it was given.
      assert.equal(await isActive(t, other, kept.access_token), true);
    });

    it('logout clears the session and revokes its grants, except offline_access ones', async () => {
      const browser = new TestBrowser(t.issuer);
      const online = await obtainTokens(t, browser, client, { scope: 'openid photos:read' });
      assert.equal(online.refresh_token, undefined);
      const plain = await obtainTokens(t, browser, client, { scope: 'photos:read' });
      const offline = await obtainTokens(t, browser, client, { scope: 'openid offline_access photos:read' });
      assert.ok(offline.refresh_token);

      const confirm = await browser.get(`${t.issuer}/logout`);
      assert.equal(confirm.status, 200);
      const done = await browser.submit(formOf(confirm.html, 'name="csrf_token"'));
      assert.equal(done.status, 200);
      const cleared = done.headers.getSetCookie().find((line) => line.startsWith('tessera_session='));
      assert.match(cleared ?? '', /^tessera_session=;.*Max-Age=0/);
      assert.equal(browser.cookies.has('tessera_session'), false);
      assert.ok(isLoginPage(await browser.get(authorizeUrl(t, codeRequest(client, pkce().challenge)))));

      assert.equal(await isActive(t, client, online.access_token), false, 'openid grant survived');
      assert.equal(await isActive(t, client, plain.access_token), false, 'plain grant survived');
      assert.equal((await refresh(t, client, plain.refresh_token ?? '')).status, 400);
      assert.equal(await isActive(t, client, offline.access_token), true, 'offline_access grant revoked');
      assert.equal((await refresh(t, client, offline.refresh_token ?? '')).status, 200);
    });

    it('logout also revokes the online grants made before a re-sign-in in the same browser', async () => {
      const browser = new TestBrowser(t.issuer);
      const early = await obtainTokens(t, browser, client, { scope: 'photos:read' });
      // Signing in again (prompt=login) replaces the session; the browser is still signed in.
      const late = await obtainTokens(t, browser, client, { scope: 'photos:read', prompt: 'login' });
      const confirm = await browser.get(`${t.issuer}/logout`);
      await browser.submit(formOf(confirm.html, 'name="csrf_token"'));
      assert.equal(await isActive(t, client, late.access_token), false, 'grant of the last session survived');
      assert.equal(
        await isActive(t, client, early.access_token),
        false,
        'a grant made before the re-sign-in survived the logout',
      );
      assert.equal((await refresh(t, client, early.refresh_token ?? '')).status, 400);
    });

    it('redirects after logout only to a registered post_logout_redirect_uri, with state', async () => {
      const unregistered = [
        `${LOGGED_OUT_URI}/x`,
        `${LOGGED_OUT_URI}?x=1`,
        'https://evil.example/logged-out',
        REDIRECT_URI, // registered for the code, not for logout
        'http://127.0.0.1:9@evil.example/logged-out',
      ];
      const browser = new TestBrowser(t.issuer);
      await signIn(t, browser);
      const logout = (params: Record<string, string>) =>
        browser.get(`${t.issuer}/logout?${new URLSearchParams(params)}`);
      for (const uri of unregistered) {
        expectErrorPage(
          await logout({ client_id: client.clientId, post_logout_redirect_uri: uri }),
          400,
          uri,
        );
      }
      expectErrorPage(await logout({ post_logout_redirect_uri: LOGGED_OUT_URI }), 400, 'without client_id');
      expectErrorPage(
        await logout({ client_id: other.clientId, post_logout_redirect_uri: LOGGED_OUT_URI }),
        400,
        "another client's URI",
      );
      expectErrorPage(
        await logout({ id_token_hint: 'eyJhbGciOiJub25lIn0.e30.', post_logout_redirect_uri: LOGGED_OUT_URI }),
        400,
        'forged id_token_hint',
      );
      assert.equal(await signedIn(browser), true, 'a refused logout signed out');

      const confirm = await logout({
        client_id: client.clientId,
        post_logout_redirect_uri: LOGGED_OUT_URI,
        state: 'a b&c',
      });
      assert.equal(confirm.status, 200);
      const form = formOf(confirm.html, 'name="csrf_token"');
      // A tampered logout request signs out but sends the browser nowhere.
      const tampered = await browser.submit(form, { logout_request: flip(form.fields.logout_request ?? '') });
      assert.equal(tampered.status, 200);
      assert.equal(tampered.location, null);

      await signIn(t, browser);
      const again = await logout({
        client_id: client.clientId,
        post_logout_redirect_uri: LOGGED_OUT_URI,
        state: 'a b&c',
      });
      const done = await browser.submit(formOf(again.html, 'name="csrf_token"'));
      assert.equal(done.status, 303);
      const target = new URL(done.location ?? '');
      assert.equal(`${target.origin}${target.pathname}`, LOGGED_OUT_URI);
      assert.equal(target.searchParams.get('state'), 'a b&c');
    });
  });
});
