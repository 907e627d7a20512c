import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { accountPage } from './account-page.js';
import { consentPage } from './consent-page.js';
import { errorPage } from './error-page.js';
import { loginPage } from './login-page.js';
import { logoutPage, signedOutPage } from './logout-page.js';
import { pageHeaders } from './page-headers.js';
import { STYLESHEET } from './style.js';

interface Element {
  readonly name: string;
  readonly attributes: ReadonlyMap<string, string>;
  /** Where the start tag ends, for reading what follows it. */
  readonly end: number;
}

// Every attribute the pages write is double-quoted and escaped, so this reads them exactly.
const START_TAG = /<([a-z][a-z0-9]*)((?:\s+[a-z-]+(?:="[^"]*")?)*)\s*>/g;
const ATTRIBUTE = /([a-z-]+)(?:="([^"]*)")?/g;
const ENTITIES: Record<string, string> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&#39;': "'",
};
const decodeEntities = (text: string) =>
  text.replace(/&amp;|&lt;|&gt;|&quot;|&#39;/g, (entity) => ENTITIES[entity] ?? '');

function elements(markup: string, name?: string): Element[] {
  return [...markup.matchAll(START_TAG)]
    .map((match) => ({
      name: match[1] ?? '',
      attributes: new Map(
        [...(match[2] ?? '').matchAll(ATTRIBUTE)].map(
          (a) => [a[1] ?? '', decodeEntities(a[2] ?? '')] as const,
        ),
      ),
      end: (match.index ?? 0) + match[0].length,
    }))
    .filter((element) => name === undefined || element.name === name);
}

/** The decoded text, tags stripped, of each `name` element (not nested in another `name`). */
function textOf(markup: string, name: string): string[] {
  return [...markup.matchAll(new RegExp(`<${name}\\b[^>]*>([\\s\\S]*?)</${name}>`, 'g'))].map((match) =>
    decodeEntities((match[1] ?? '').replace(/<[^>]*>/g, '')).trim(),
  );
}

function forms(markup: string): string[] {
  return [...markup.matchAll(/<form\b[^>]*>[\s\S]*?<\/form>/g)].map((match) => match[0]);
}

function only<T>(items: readonly T[], what: string): T {
  assert.equal(items.length, 1, `expected exactly one ${what}, found ${items.length}`);
  return items[0] as T;
}

const input = (markup: string, name: string) =>
  only(
    elements(markup, 'input').filter((element) => element.attributes.get('name') === name),
    `input named ${name}`,
  );

/** What every page must be: a complete, labelled, mobile-ready document that the CSP allows. */
function assertSoundPage(markup: string): void {
  assert.ok(markup.startsWith('<!doctype html>\n<html lang="en">'));
  only(
    elements(markup, 'meta').filter((m) => m.attributes.get('charset') === 'utf-8'),
    'meta charset',
  );
  const viewport = only(
    elements(markup, 'meta').filter((m) => m.attributes.get('name') === 'viewport'),
    'meta viewport',
  );
  assert.equal(viewport.attributes.get('content'), 'width=device-width, initial-scale=1');
  const referrer = only(
    elements(markup, 'meta').filter((m) => m.attributes.get('name') === 'referrer'),
    'meta referrer',
  );
  assert.equal(referrer.attributes.get('content'), 'no-referrer');
  assert.notEqual(only(textOf(markup, 'title'), 'title'), '');
  only(elements(markup, 'main'), 'main');
  assert.notEqual(only(textOf(markup, 'h1'), 'h1'), '');
  assert.doesNotMatch(markup, /<script|\sstyle=|\son[a-z]+=/i);

  const style = only([...markup.matchAll(/<style>([\s\S]*?)<\/style>/g)], 'style element')[1] ?? '';
  assert.equal(style, STYLESHEET);
  const hash = `'sha256-${createHash('sha256').update(style, 'utf8').digest('base64')}'`;
  assert.match(
    pageHeaders()['content-security-policy'] ?? '',
    new RegExp(`; style-src ${escapeRegExp(hash)};`),
  );

  const ids = elements(markup)
    .map((element) => element.attributes.get('id'))
    .filter((id) => id !== undefined);
  assert.equal(new Set(ids).size, ids.length, 'ids are unique');
  const labels = elements(markup, 'label').map((label) => label.attributes.get('for'));
  for (const field of elements(markup, 'input').filter((i) => i.attributes.get('type') !== 'hidden')) {
    const id = field.attributes.get('id');
    assert.ok(id, `input ${field.attributes.get('name')} has an id`);
    assert.equal(labels.filter((label) => label === id).length, 1, `one label for ${id}`);
  }
  for (const element of elements(markup)) {
    for (const attribute of ['aria-describedby', 'aria-labelledby']) {
      const target = element.attributes.get(attribute);
      if (target !== undefined) assert.ok(ids.includes(target), `${attribute}=${target} names an element`);
    }
  }
}

/** Every form posts, carries the CSRF token once, and submits with a button. */
function assertForms(markup: string, csrfToken: string): string[] {
  const found = forms(markup);
  assert.equal(found.length, elements(markup, 'form').length);
  for (const form of found) {
    const [start] = elements(form, 'form');
    assert.equal(start?.attributes.get('method'), 'post');
    assert.equal(input(form, 'csrf_token').attributes.get('type'), 'hidden');
    assert.equal(input(form, 'csrf_token').attributes.get('value'), csrfToken);
    const buttons = elements(form, 'button');
    assert.ok(buttons.length > 0);
    for (const button of buttons) assert.equal(button.attributes.get('type'), 'submit');
  }
  return found;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const CSRF = 'csrf-Zm9v"<&';
const HIDDEN = { client_id: 'c1', redirect_uri: 'https://app.example/cb?a=1&b=2', state: '"><x>' };

describe('loginPage', () => {
  const login = (options: { username?: string; error?: string } = {}) =>
    loginPage({
      action: '/authorize?x=1&y=2',
      csrfToken: CSRF,
      hidden: HIDDEN,
      clientName: 'Acme & Co',
      ...options,
    });

  it('is a form posting username, password, the CSRF token and the hidden fields', () => {
    const markup = login();
    assertSoundPage(markup);
    const form = only(assertForms(markup, CSRF), 'form');
    assert.equal(elements(form, 'form')[0]?.attributes.get('action'), '/authorize?x=1&y=2');
    const username = input(form, 'username');
    assert.deepEqual(Object.fromEntries(username.attributes), {
      id: 'username',
      name: 'username',
      type: 'text',
      value: '',
      autocomplete: 'username',
      autocapitalize: 'none',
      spellcheck: 'false',
      required: '',
      autofocus: '',
    });
    const password = input(form, 'password');
    assert.deepEqual(Object.fromEntries(password.attributes), {
      id: 'password',
      name: 'password',
      type: 'password',
      autocomplete: 'current-password',
      required: '',
    });
    for (const [name, value] of Object.entries(HIDDEN)) {
      assert.equal(input(form, name).attributes.get('type'), 'hidden');
      assert.equal(input(form, name).attributes.get('value'), value);
    }
    assert.deepEqual(textOf(form, 'button'), ['Sign in']);
    assert.deepEqual(textOf(markup, 'h1'), ['Sign in']);
    assert.match(markup, /to continue to <strong>Acme &amp; Co<\/strong>/);
    assert.doesNotMatch(markup, /role="alert"|aria-invalid="|aria-describedby="/);
  });

  it('announces an error, ties it to both inputs and focuses the password', () => {
    const markup = login({ username: 'ada', error: 'Wrong username or password.' });
    assertSoundPage(markup);
    const alert = only(
      elements(markup).filter((element) => element.attributes.get('role') === 'alert'),
      'alert',
    );
    const alertId = alert.attributes.get('id');
    assert.ok(alertId);
    assert.ok(markup.slice(alert.end).startsWith('Wrong username or password.</p>'));
    const username = input(markup, 'username');
    const password = input(markup, 'password');
    assert.equal(username.attributes.get('value'), 'ada');
    for (const field of [username, password]) {
      assert.equal(field.attributes.get('aria-describedby'), alertId);
      assert.equal(field.attributes.get('aria-invalid'), 'true');
    }
    assert.equal(username.attributes.has('autofocus'), false);
    assert.equal(password.attributes.has('autofocus'), true);
    assert.ok(alert.end < (elements(markup, 'form')[0]?.end ?? 0), 'the error comes before the form');
  });
});

describe('consentPage', () => {
  const consent = (scopes: string[]) =>
    consentPage({
      action: '/authorize/consent',
      csrfToken: CSRF,
      hidden: HIDDEN,
      clientName: 'Acme <Inc>',
      userName: 'Ada "L"',
      scopes,
      redirectHost: 'app.example',
    });

  it('is a form whose first button approves and second denies', () => {
    const markup = consent(['openid', 'email']);
    assertSoundPage(markup);
    const form = only(assertForms(markup, CSRF), 'form');
    assert.equal(elements(form, 'form')[0]?.attributes.get('action'), '/authorize/consent');
    const buttons = elements(form, 'button').map((button) => Object.fromEntries(button.attributes));
    assert.deepEqual(buttons, [
      { type: 'submit', name: 'decision', value: 'approve' },
      { type: 'submit', name: 'decision', value: 'deny', class: 'secondary' },
    ]);
    assert.deepEqual(textOf(form, 'button'), ['Allow', 'Deny']);
    assert.match(form, /<button type="submit" name="decision" value="approve">/);
    assert.match(form, /<button type="submit" name="decision" value="deny"/);
    for (const [name, value] of Object.entries(HIDDEN))
      assert.equal(input(form, name).attributes.get('value'), value);
    assert.deepEqual(
      elements(form, 'input').map((i) => i.attributes.get('type')),
      ['hidden', 'hidden', 'hidden', 'hidden'],
    );
  });

  it('says who asks, for whom, what each scope means, and where the person returns', () => {
    const markup = consent(['openid', 'offline_access', 'orders:read']);
    assert.deepEqual(textOf(markup, 'h1'), ['Acme <Inc> wants access to your account']);
    assert.match(markup, /Signed in as <strong>Ada &quot;L&quot;<\/strong>/);
    assert.deepEqual(textOf(markup, 'li'), [
      'Confirm who you are (your account identifier) openid',
      'Keep access when you are not using it (until you revoke it) offline_access',
      'Use "orders:read"',
    ]);
    assert.deepEqual(textOf(markup, 'code'), ['openid', 'offline_access']);
    assert.ok(
      textOf(markup, 'p').includes(
        'You will return to app.example. You can revoke this at any time from your account page.',
      ),
    );
    assert.ok(elements(markup, 'a').some((a) => a.attributes.get('href') === '/account'));
  });

  it('shows no list when no scope is asked for', () => {
    const markup = consent([]);
    assertSoundPage(markup);
    assert.equal(elements(markup, 'ul').length, 0);
  });
});

describe('errorPage', () => {
  it('shows the title and message, and no form', () => {
    const markup = errorPage({ title: 'Unknown client', message: 'The app <x> is not registered.' });
    assertSoundPage(markup);
    assert.deepEqual(textOf(markup, 'title'), ['Unknown client']);
    assert.deepEqual(textOf(markup, 'h1'), ['Unknown client']);
    assert.deepEqual(textOf(markup, 'p'), ['The app <x> is not registered.']);
    assert.equal(forms(markup).length, 0);
  });
});

describe('logoutPage and signedOutPage', () => {
  it('asks to confirm signing out with a form', () => {
    const markup = logoutPage({ action: '/logout', csrfToken: CSRF, hidden: HIDDEN, clientName: 'Acme' });
    assertSoundPage(markup);
    const form = only(assertForms(markup, CSRF), 'form');
    assert.equal(elements(form, 'form')[0]?.attributes.get('action'), '/logout');
    assert.deepEqual(textOf(form, 'button'), ['Sign out']);
    for (const [name, value] of Object.entries(HIDDEN))
      assert.equal(input(form, name).attributes.get('value'), value);
    assert.deepEqual(textOf(markup, 'h1'), ['Sign out?']);
    assert.match(markup, /<strong>Acme<\/strong>/);
    const anonymous = logoutPage({ action: '/logout', csrfToken: CSRF, hidden: {} });
    assertSoundPage(anonymous);
    assertForms(anonymous, CSRF);
    assert.equal(elements(anonymous, 'strong').length, 0);
  });

  it('confirms the sign-out without a form', () => {
    const markup = signedOutPage();
    assertSoundPage(markup);
    assert.deepEqual(textOf(markup, 'h1'), ['You are signed out']);
    assert.equal(forms(markup).length, 0);
  });
});

describe('accountPage', () => {
  const grants = [
    { clientId: 'c-1', clientName: 'Acme', scopes: ['openid', 'email'], grantedAt: 1_700_000_000 },
    { clientId: 'c"2', clientName: 'Beta <b>', scopes: ['orders:read'], grantedAt: 0 },
  ];

  it('lists each app with what it may do, when, and a form to revoke it', () => {
    const markup = accountPage({ action: '/account/revoke', csrfToken: CSRF, userName: 'Ada', grants });
    assertSoundPage(markup);
    assert.deepEqual(textOf(markup, 'h1'), ['Apps with access to your account']);
    assert.deepEqual(textOf(markup, 'h2'), ['Acme', 'Beta <b>']);
    assert.deepEqual(textOf(markup, 'time'), ['2023-11-14', '1970-01-01']);
    assert.deepEqual(
      elements(markup, 'time').map((time) => time.attributes.get('datetime')),
      ['2023-11-14', '1970-01-01'],
    );
    assert.match(markup, /<li>See your email address <code>email<\/code><\/li>/);
    assert.match(markup, /<li>Use &quot;orders:read&quot;<\/li>/);
    const found = assertForms(markup, CSRF);
    assert.equal(found.length, 2);
    found.forEach((form, index) => {
      assert.equal(elements(form, 'form')[0]?.attributes.get('action'), '/account/revoke');
      assert.equal(input(form, 'client_id').attributes.get('type'), 'hidden');
      assert.equal(input(form, 'client_id').attributes.get('value'), grants[index]?.clientId);
      assert.deepEqual(textOf(form, 'button'), ['Revoke access']);
      // The button's description is the heading that names its app.
      const describedBy = elements(form, 'button')[0]?.attributes.get('aria-describedby');
      const headingIndex = elements(markup, 'h2').findIndex((h) => h.attributes.get('id') === describedBy);
      assert.equal(textOf(markup, 'h2')[headingIndex], grants[index]?.clientName);
    });
    assert.ok(elements(markup, 'a').some((a) => a.attributes.get('href') === '/logout'));
  });

  it('says so when no app has access', () => {
    const markup = accountPage({ action: '/account/revoke', csrfToken: CSRF, userName: 'Ada', grants: [] });
    assertSoundPage(markup);
    assert.equal(forms(markup).length, 0);
    assert.ok(textOf(markup, 'p').includes('No apps have access to your account.'));
    assert.ok(elements(markup, 'a').some((a) => a.attributes.get('href') === '/logout'));
  });
});

/** Renders a page with every caller-provided string taken from `next`. */
type Render = (next: () => string) => string;

const hiddenOf = (next: () => string) => ({ [`a${next()}`]: next(), [`b${next()}`]: next() });
const PAGES: Record<string, Render> = {
  login: (next) =>
    loginPage({
      action: next(),
      csrfToken: next(),
      hidden: hiddenOf(next),
      clientName: next(),
      username: next(),
    }),
  loginWithError: (next) =>
    loginPage({
      action: next(),
      csrfToken: next(),
      hidden: hiddenOf(next),
      clientName: next(),
      username: next(),
      error: next(),
    }),
  consent: (next) =>
    consentPage({
      action: next(),
      csrfToken: next(),
      hidden: hiddenOf(next),
      clientName: next(),
      userName: next(),
      scopes: [next(), next()],
      redirectHost: next(),
    }),
  error: (next) => errorPage({ title: next(), message: next() }),
  logout: (next) =>
    logoutPage({ action: next(), csrfToken: next(), hidden: hiddenOf(next), clientName: next() }),
  account: (next) =>
    accountPage({
      action: next(),
      csrfToken: next(),
      userName: next(),
      grants: [
        { clientId: next(), clientName: next(), scopes: [next(), next()], grantedAt: 1 },
        { clientId: next(), clientName: next(), scopes: [next()], grantedAt: 2 },
      ],
    }),
};

/** The page's tags with attribute values blanked: what caller text must never change. */
const skeleton = (markup: string) =>
  [...markup.matchAll(/<[^>]*>?/g)].map((match) => match[0].replace(/"[^"]*"/g, '""'));

const MARKERS = ['<x-evil>', '"onfocus="x', "'onfocus='y", '&#60;y-evil', '</main><script>', '>'];
const hostile = fc
  .tuple(fc.string(), fc.constantFrom(...MARKERS), fc.string())
  .map(([before, marker, after]) => before + marker + after);

describe('every page', () => {
  it('keeps its markup whatever text the caller puts in any field', () => {
    for (const [name, render] of Object.entries(PAGES)) {
      let counter = 0;
      const expected = skeleton(render(() => `v${counter++}`));
      fc.assert(
        fc.property(fc.array(hostile, { minLength: 20, maxLength: 20 }), (texts) => {
          let index = 0;
          const markup = render(() => texts[index++ % texts.length] ?? '');
          assert.deepEqual(skeleton(markup), expected, name);
          for (const marker of ['<x-evil', '"onfocus=', "'onfocus=", '&#60;y-evil', '<script']) {
            assert.ok(!markup.includes(marker), `${name} contains ${marker}`);
          }
        }),
        { numRuns: 100 },
      );
    }
  });

  it('gives back caller text exactly once decoded', () => {
    fc.assert(
      fc.property(hostile, hostile, hostile, (csrfToken, username, error) => {
        const markup = loginPage({
          action: '/a',
          csrfToken,
          hidden: { [username]: error },
          clientName: 'c',
          username,
          error,
        });
        assert.equal(input(markup, 'csrf_token').attributes.get('value'), csrfToken);
        assert.equal(input(markup, 'username').attributes.get('value'), username);
        assert.equal(input(markup, username).attributes.get('value'), error);
        const alert = elements(markup).find((element) => element.attributes.get('role') === 'alert');
        assert.ok(alert);
        assert.equal(decodeEntities(markup.slice(alert.end, markup.indexOf('</p>', alert.end))), error);
      }),
    );
  });
});
