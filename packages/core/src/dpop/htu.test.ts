import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { normalizeHtu } from './htu.js';

describe('normalizeHtu', () => {
  it('normalises the documented example', () => {
    assert.equal(normalizeHtu('HTTPS://Server.Example:443/a%7Eb?x=1'), 'https://server.example/a~b');
  });

  it('lower-cases scheme and host but keeps the case of the path', () => {
    assert.equal(
      normalizeHtu('HtTpS://SERVER.Example.COM/Token/ABC'),
      'https://server.example.com/Token/ABC',
    );
    assert.equal(normalizeHtu('HTTP://Example.com/'), 'http://example.com/');
  });

  it('drops the default port of the scheme, and keeps any other', () => {
    assert.equal(normalizeHtu('https://example.com:443/token'), 'https://example.com/token');
    assert.equal(normalizeHtu('http://example.com:80/token'), 'http://example.com/token');
    assert.equal(normalizeHtu('https://example.com:80/token'), 'https://example.com:80/token');
    assert.equal(normalizeHtu('http://example.com:443/token'), 'http://example.com:443/token');
    assert.equal(normalizeHtu('https://example.com:8443/token'), 'https://example.com:8443/token');
    assert.equal(normalizeHtu('http://127.0.0.1:3000/x'), 'http://127.0.0.1:3000/x');
    assert.equal(normalizeHtu('https://[::1]:443/x'), 'https://[::1]/x');
  });

  it('drops the query and the fragment', () => {
    assert.equal(normalizeHtu('https://example.com/token?a=1&b=2#frag'), 'https://example.com/token');
    assert.equal(normalizeHtu('https://example.com/token?'), 'https://example.com/token');
    assert.equal(normalizeHtu('https://example.com/token#'), 'https://example.com/token');
    assert.equal(normalizeHtu('https://example.com?q'), 'https://example.com/');
  });

  it('decodes percent-encoded unreserved characters, in either hex case', () => {
    assert.equal(
      normalizeHtu('https://example.com/%41%62%30%2D%2e%5f%7E%7e'),
      'https://example.com/Ab0-._~~',
    );
    assert.equal(normalizeHtu('https://example.com/a%2Eb'), 'https://example.com/a.b');
    assert.equal(normalizeHtu('https://example.com/%7Euser/x'), normalizeHtu('https://example.com/~user/x'));
  });

  it('upper-cases the hex of other percent-encodings without decoding them', () => {
    assert.equal(normalizeHtu('https://example.com/a%2fb'), 'https://example.com/a%2Fb');
    assert.equal(normalizeHtu('https://example.com/a%2Fb'), 'https://example.com/a%2Fb');
    assert.equal(normalizeHtu('https://example.com/%e2%82%ac'), 'https://example.com/%E2%82%AC');
    assert.equal(
      normalizeHtu('https://example.com/a%20b%3f%25'),
      'https://example.com/a%20B%3F%25'.replace('B', 'b'),
    );
    assert.notEqual(normalizeHtu('https://example.com/a%2Fb'), normalizeHtu('https://example.com/a/b'));
  });

  it('makes an empty path /', () => {
    assert.equal(normalizeHtu('https://example.com'), 'https://example.com/');
    assert.equal(normalizeHtu('http://example.com:8080'), 'http://example.com:8080/');
  });

  it('is null for other schemes, relative references and URLs with userinfo', () => {
    for (const url of [
      'ftp://example.com/x',
      'ws://example.com/x',
      'wss://example.com/x',
      'file:///etc/passwd',
      'mailto:a@example.com',
      'urn:ietf:rfc:9449',
      'data:text/plain,hi',
      'javascript:alert(1)',
      '/token',
      'token',
      '//example.com/token',
      '?x=1',
      '',
      'https://user@example.com/token',
      'https://user:secret@example.com/token',
      'https://:secret@example.com/token',
      'http://',
      'https://exa mple.com/',
    ]) {
      assert.equal(normalizeHtu(url), null, url);
    }
    assert.equal(normalizeHtu(undefined as unknown as string), null);
    assert.equal(normalizeHtu(42 as unknown as string), null);
  });

  it('is idempotent, and blind to query and fragment', () => {
    fc.assert(
      fc.property(fc.webUrl({ withQueryParameters: true, withFragments: true }), (url) => {
        const htu = normalizeHtu(url);
        assert.notEqual(htu, null, url);
        assert.equal(normalizeHtu(htu as string), htu, url);
        const bare = new URL(url);
        bare.search = '';
        bare.hash = '';
        assert.equal(normalizeHtu(bare.href), htu, url);
        assert.doesNotMatch(htu as string, /[?#]/);
      }),
    );
  });

  it('never throws on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const htu = normalizeHtu(text);
        assert.ok(htu === null || /^https?:\/\/[^/?#]+\//.test(htu));
      }),
    );
  });
});
