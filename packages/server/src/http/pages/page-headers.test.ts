import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { pageHeaders } from './page-headers.js';
import { STYLESHEET, STYLESHEET_HASH } from './style.js';

/** The CSP's directives by name, each with its sources. */
function directives(headers: Record<string, string>): Map<string, string[]> {
  const policy = headers['content-security-policy'] ?? '';
  return new Map(
    policy.split('; ').map((directive) => {
      const [name = '', ...sources] = directive.split(' ');
      return [name, sources];
    }),
  );
}

const formAction = (formActions: string[]) => directives(pageHeaders({ formActions })).get('form-action');

describe('pageHeaders', () => {
  it('forbids caching, sniffing, framing and referrers', () => {
    const headers = pageHeaders();
    assert.equal(headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(headers['cache-control'], 'no-store');
    assert.equal(headers.pragma, 'no-cache');
    assert.equal(headers['x-content-type-options'], 'nosniff');
    assert.equal(headers['x-frame-options'], 'DENY');
    assert.equal(headers['referrer-policy'], 'no-referrer');
    assert.deepEqual(Object.keys(headers).sort(), [
      'cache-control',
      'content-security-policy',
      'content-type',
      'pragma',
      'referrer-policy',
      'x-content-type-options',
      'x-frame-options',
    ]);
  });

  it('sends a CSP that allows only the stylesheet, own images and posts to itself, and no framing', () => {
    assert.equal(
      pageHeaders()['content-security-policy'],
      `default-src 'none'; style-src ${STYLESHEET_HASH}; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
    );
    assert.deepEqual(pageHeaders({ formActions: [] }), pageHeaders());
  });

  it('hashes the stylesheet as CSP expects', () => {
    const digest = createHash('sha256').update(STYLESHEET, 'utf8').digest('base64');
    assert.equal(STYLESHEET_HASH, `'sha256-${digest}'`);
    assert.deepEqual(directives(pageHeaders()).get('style-src'), [`'sha256-${digest}'`]);
  });

  it('allows form posts to redirect to the origin of each URL, without its path', () => {
    assert.deepEqual(formAction(['https://app.example.com/callback?state=1#top']), [
      "'self'",
      'https://app.example.com',
    ]);
    assert.deepEqual(formAction(['https://App.Example.com:8443/cb', 'http://127.0.0.1:51234/cb']), [
      "'self'",
      'https://app.example.com:8443',
      'http://127.0.0.1:51234',
    ]);
    assert.deepEqual(formAction(['https://a.example:443/one', 'https://a.example/two']), [
      "'self'",
      'https://a.example',
    ]);
    assert.deepEqual(formAction(['https://münchen.example/cb']), [
      "'self'",
      'https://xn--mnchen-3ya.example',
    ]);
  });

  it("names a native app's private-use scheme, and leaves out other schemes and URLs that do not parse", () => {
    assert.deepEqual(formAction(['com.example.app:/cb']), ["'self'", 'com.example.app:']);
    assert.deepEqual(
      formAction(['myapp://callback', 'data:text/html,x', 'file:///x', 'javascript:alert(1)']),
      ["'self'"],
    );
    assert.deepEqual(
      formAction(['', 'not a url', '/relative/path', 'https://', 'https://[::1', 'https://ok.example']),
      ["'self'", 'https://ok.example'],
    );
  });

  it('never lets a host that URL parsing accepts break the policy', () => {
    for (const url of [
      'https://a;b.example/',
      'https://a,b.example/',
      "https://a'b.example/",
      'https://a"b.example/',
      'https://a*b.example/',
      'https://a%3Bscript-src%20*.example/',
      'https://x.example;script-src/',
    ]) {
      assert.deepEqual(formAction([url]), ["'self'"], url);
    }
  });

  it('keeps the policy well formed whatever URLs it is given', () => {
    const url = fc.oneof(
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
      fc.string(),
      fc
        .tuple(fc.constantFrom('https://', 'http://', 'x:', 'blob:https://'), fc.string())
        .map(([a, b]) => a + b),
    );
    fc.assert(
      fc.property(fc.array(url, { maxLength: 5 }), (urls) => {
        const headers = pageHeaders({ formActions: urls });
        const policy = headers['content-security-policy'] ?? '';
        assert.doesNotMatch(policy, /,/);
        assert.deepEqual(
          [...directives(headers).keys()],
          ['default-src', 'style-src', 'img-src', 'form-action', 'frame-ancestors', 'base-uri'],
        );
        const [self, ...origins] = formAction(urls) ?? [];
        assert.equal(self, "'self'");
        // An origin, or a native app's private-use scheme (random strings such as `A.0:` are one).
        for (const origin of origins) {
          assert.match(
            origin,
            /^(?:[a-z][a-z0-9+.-]*:\/\/[a-z0-9.-]+(:[0-9]+)?|[a-z][a-z0-9+-]*(?:\.[a-z0-9+-]+)+:)$/,
          );
        }
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.webUrl({ withQueryParameters: true, withFragments: true }), (url) => {
        assert.deepEqual(formAction([url]), ["'self'", new URL(url).origin]);
      }),
    );
  });
});
