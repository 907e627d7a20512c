/**
 * The sign-in and consent pages in a real browser (Debian's Chromium): accessible labels,
 * keyboard order, the announced sign-in error, the CSP letting the pages' own stylesheet
 * and form redirects through, and a code that lands on the client and buys tokens.
 * Screenshots go to /tmp/tessera-screenshots for a human to look at.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { basic, postForm, sqlite, startTestServer, type TestServer } from '../harness.js';
import { chromiumSkipReason, type LaunchedChromium, launchChromium } from './chromium.js';

const SCREENSHOTS = '/tmp/tessera-screenshots';
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };
const SCOPE = 'openid profile email offline_access photos:read';
const alice = { username: 'alice', password: 'correct horse battery staple' };

/** The client's side of the redirect: a page the browser lands on, and what it was asked for. */
async function startCallbackServer(): Promise<{ server: Server; uri: string; hits: URL[] }> {
  const hits: URL[] = [];
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/callback') {
      response.writeHead(404).end();
      return;
    }
    hits.push(url);
    response
      .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      .end(
        '<!doctype html><html lang="en"><link rel="icon" href="data:,"><title>Photo App</title><p>Signed in.</p>',
      );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, uri: `http://127.0.0.1:${port}/callback`, hits };
}

/** The console error Chromium logs for what the server means to do: the 400 page after a wrong password. */
function expectedConsoleError(text: string, url: string): boolean {
  const { pathname } = new URL(url || 'about:blank');
  return (
    text.startsWith('Failed to load resource') && pathname === '/login' && text.includes('status of 400')
  );
}

const isFocused = (locator: Locator) => locator.evaluate((element) => element === document.activeElement);

async function screenshot(page: Page, name: string, viewport = DESKTOP): Promise<void> {
  await page.setViewportSize(viewport);
  await page.screenshot({ path: join(SCREENSHOTS, name), fullPage: true });
  await page.setViewportSize(DESKTOP);
}

describe('sign-in and consent in Chromium', { skip: chromiumSkipReason(), timeout: 60_000 }, () => {
  let t: TestServer | undefined;
  let callback: Awaited<ReturnType<typeof startCallbackServer>> | undefined;
  let browser: LaunchedChromium | undefined;
  let page: Page;
  let client: { clientId: string; clientSecret: string };
  /** Console errors, uncaught exceptions, CSP violations and failed requests, as they happen. */
  const problems: string[] = [];

  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  const nonce = randomBytes(16).toString('base64url');

  before(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    t = await startTestServer(sqlite);
    callback = await startCallbackServer();
    client = await t.createClient({
      name: 'Photo App',
      grantTypes: ['authorization_code', 'refresh_token'],
      redirectUris: [callback.uri],
      scopes: ['photos:read'],
    });
    await t.server.tessera.users.create({ ...alice, email: 'alice@example.com', name: 'Alice Liddell' });

    browser = await launchChromium();
    // Runs before any page script and is not subject to the page's CSP.
    await browser.context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) => {
        console.error(
          `CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || 'inline'} (${event.sample})`,
        );
      });
    });
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.on('console', (message) => {
      if (message.type() !== 'error' || expectedConsoleError(message.text(), message.location().url)) return;
      problems.push(`console error on ${page.url()}: ${message.text()} (${message.location().url})`);
    });
    page.on('pageerror', (error) => problems.push(`uncaught exception on ${page.url()}: ${error.message}`));
    page.on('requestfailed', (request) =>
      problems.push(`request failed: ${request.url()} (${request.failure()?.errorText})`),
    );
  });

  after(async () => {
    // Each closes even if another fails; the first failure is reported.
    const results = await Promise.allSettled([
      browser?.close(),
      t?.close(),
      callback && new Promise<void>((resolve) => callback?.server.close(() => resolve())),
    ]);
    for (const result of results) if (result.status === 'rejected') throw result.reason;
  });

  it('shows a labelled sign-in form in a sensible keyboard order', async () => {
    assert.ok(t && callback);
    const url = new URL(`${t.issuer}/authorize`);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: client.clientId,
      redirect_uri: callback.uri,
      scope: SCOPE,
      state,
      nonce,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    const response = await page.goto(url.href);
    assert.equal(response?.status(), 200);

    assert.equal(await page.title(), 'Sign in');
    assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Sign in');
    assert.match((await page.locator('main').textContent()) ?? '', /to continue to\s+Photo App/);
    const username = page.getByLabel('Username');
    const password = page.getByLabel('Password');
    const signIn = page.getByRole('button', { name: 'Sign in' });
    assert.equal(await username.getAttribute('autocomplete'), 'username');
    assert.equal(await password.getAttribute('type'), 'password');
    assert.equal(await password.getAttribute('autocomplete'), 'current-password');
    assert.ok(await isFocused(username), 'the username field is focused on arrival');
    // The stylesheet applied: the CSP hash matched the inline <style>.
    assert.equal(await page.locator('main').evaluate((main) => getComputedStyle(main).maxWidth), '416px');

    await screenshot(page, 'login.png');
    await screenshot(page, 'login-phone.png', PHONE);

    await username.focus();
    await page.keyboard.press('Tab');
    assert.ok(await isFocused(password), 'Tab from the username goes to the password');
    await page.keyboard.press('Tab');
    assert.ok(await isFocused(signIn), 'Tab from the password goes to the Sign in button');
  });

  it('announces a wrong password and puts focus back on the password field', async () => {
    await page.getByLabel('Username').fill(alice.username);
    await page.getByLabel('Password').fill('not the password');
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/login'),
      page.getByRole('button', { name: 'Sign in' }).click(),
    ]);
    assert.equal(response.status(), 400);
    await page.waitForLoadState('load');

    const alert = page.getByRole('alert');
    assert.equal(await alert.textContent(), 'The username or password is incorrect.');
    const password = page.getByLabel('Password');
    await page.waitForFunction(() => document.activeElement?.id === 'password');
    assert.ok(await isFocused(password), 'the password field is focused after the error');
    assert.equal(await password.inputValue(), '', 'the wrong password is not sent back');
    assert.equal(await page.getByLabel('Username').inputValue(), 'alice');
    for (const field of [page.getByLabel('Username'), password]) {
      assert.equal(await field.getAttribute('aria-invalid'), 'true');
      assert.equal(await field.getAttribute('aria-describedby'), await alert.getAttribute('id'));
    }
    await screenshot(page, 'login-error.png');
  });

  it('signs in, asks consent for the scopes, and returns a code the client can redeem', async () => {
    assert.ok(t && callback);
    await page.getByLabel('Password').fill(alice.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForLoadState('load');

    assert.equal(await page.title(), 'Allow access');
    assert.equal(
      await page.getByRole('heading', { level: 1 }).textContent(),
      'Photo App wants access to your account',
    );
    const main = (await page.locator('main').textContent()) ?? '';
    assert.match(main, /Signed in as\s+Alice Liddell/);
    assert.match(main, /You will return to\s+127\.0\.0\.1:\d+/);
    const scopes = await page.locator('main li').allTextContents();
    assert.equal(scopes.length, SCOPE.split(' ').length);
    assert.match(scopes.join('\n'), /See your email address email/);
    assert.match(scopes.join('\n'), /Use "photos:read"/);
    assert.ok(await page.getByRole('button', { name: 'Deny' }).isVisible());
    await screenshot(page, 'consent.png');
    await screenshot(page, 'consent-phone.png', PHONE);

    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((url) => url.origin === new URL(callback?.uri ?? '').origin);
    const landed = new URL(page.url());
    assert.equal(`${landed.origin}${landed.pathname}`, callback.uri);
    assert.equal(await page.textContent('p'), 'Signed in.');
    assert.equal(landed.searchParams.get('state'), state);
    assert.equal(landed.searchParams.get('iss'), t.issuer);
    const code = landed.searchParams.get('code');
    assert.ok(code);
    assert.deepEqual(
      callback.hits.map((hit) => hit.searchParams.get('code')),
      [code],
      'the client saw exactly one redirect, with that code',
    );

    const metadata = await (await fetch(`${t.issuer}/.well-known/openid-configuration`)).json();
    const exchange = await postForm(
      metadata.token_endpoint,
      { grant_type: 'authorization_code', code, redirect_uri: callback.uri, code_verifier: verifier },
      { authorization: basic(client.clientId, client.clientSecret) },
    );
    const tokens = await exchange.json();
    assert.equal(exchange.status, 200, JSON.stringify(tokens));
    assert.equal(typeof tokens.access_token, 'string');
    assert.equal(typeof tokens.refresh_token, 'string');
    assert.equal(tokens.scope, SCOPE);
    const claims = JSON.parse(Buffer.from(tokens.id_token.split('.')[1], 'base64url').toString('utf8'));
    assert.equal(claims.iss, t.issuer);
    assert.equal(claims.aud, client.clientId);
    assert.equal(claims.nonce, nonce);
  });

  it('reported no console errors, exceptions, CSP violations or failed requests', () => {
    assert.deepEqual(problems, []);
  });
});
