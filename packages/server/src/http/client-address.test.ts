import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientAddress, trustedAddresses } from './client-address.js';

describe('clientAddress', () => {
  const trusted = trustedAddresses(['10.0.0.5', '10.0.0.6', '2001:DB8::5']);

  it('is the peer when no proxy is trusted, whatever X-Forwarded-For says', () => {
    assert.equal(clientAddress('198.51.100.7', '203.0.113.1', trusted), '198.51.100.7');
    assert.equal(clientAddress('198.51.100.7', undefined, trusted), '198.51.100.7');
    assert.equal(clientAddress('10.0.0.5', '203.0.113.1', trustedAddresses([])), '10.0.0.5');
    assert.equal(clientAddress('2001:db8::9', '203.0.113.1', trusted), '2001:db8::9');
  });

  it('takes the right-most X-Forwarded-For entry from a trusted proxy (IPv4)', () => {
    assert.equal(clientAddress('10.0.0.5', '203.0.113.1', trusted), '203.0.113.1');
    assert.equal(clientAddress('10.0.0.5', ' 203.0.113.1 ', trusted), '203.0.113.1');
    assert.equal(clientAddress('10.0.0.5', '203.0.113.1:52100', trusted), '203.0.113.1');
  });

  it('ignores the entries a client wrote left of what the proxies appended', () => {
    assert.equal(clientAddress('10.0.0.5', '1.1.1.1, 2.2.2.2, 203.0.113.1', trusted), '203.0.113.1');
    // A chain of trusted proxies: the first address none of them vouches for.
    assert.equal(clientAddress('10.0.0.5', '1.1.1.1, 203.0.113.1, 10.0.0.6', trusted), '203.0.113.1');
    assert.equal(clientAddress('10.0.0.5', 'spoofed, 203.0.113.1', trusted), '203.0.113.1');
  });

  it('stays with the proxy when the header has nothing else to name', () => {
    assert.equal(clientAddress('10.0.0.5', undefined, trusted), '10.0.0.5');
    assert.equal(clientAddress('10.0.0.5', '', trusted), '10.0.0.5');
    assert.equal(clientAddress('10.0.0.5', '10.0.0.6', trusted), '10.0.0.6');
    assert.equal(clientAddress('10.0.0.5', '203.0.113.1, not-an-address', trusted), '10.0.0.5');
  });

  it('reads IPv6 peers and entries, bracketed or not, canonically', () => {
    assert.equal(clientAddress('2001:db8::5', '2001:DB8:0:0::1', trusted), '2001:db8::1');
    assert.equal(clientAddress('2001:db8:0::5', '[2001:db8::1]:443', trusted), '2001:db8::1');
    assert.equal(clientAddress('10.0.0.5', '1.1.1.1, 2001:db8::1', trusted), '2001:db8::1');
  });

  it('reads IPv4-mapped IPv6 addresses as IPv4', () => {
    assert.equal(clientAddress('::ffff:10.0.0.5', '203.0.113.1', trusted), '203.0.113.1');
    assert.equal(clientAddress('10.0.0.5', '::FFFF:203.0.113.1', trusted), '203.0.113.1');
    assert.equal(clientAddress('::ffff:198.51.100.7', '203.0.113.1', trusted), '198.51.100.7');
    assert.equal(
      clientAddress(
        '10.0.0.5',
        '203.0.113.1, ::ffff:10.0.0.6',
        trustedAddresses(['::ffff:10.0.0.5', '10.0.0.6']),
      ),
      '203.0.113.1',
    );
  });
});
