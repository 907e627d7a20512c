/**
 * Sign-in throttling behind a TLS-terminating proxy the server trusts: each client address
 * the proxy names in `X-Forwarded-For` has its own allowance, not the proxy's one address,
 * and what the client wrote in the header itself does not count.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sqlite, startTestServer, type TestServer } from '../harness.js';
import {
  authorizeUrl,
  type Client,
  codeRequest,
  formOf,
  pkce,
  TestBrowser,
  webClient,
} from './refusals-kit.js';

describe('sign-in throttling behind a trusted proxy', () => {
  let t: TestServer;
  let client: Client;

  before(async () => {
    // The test's own requests come from 127.0.0.1: it plays the proxy (no client certificates
    // involved: a trusted proxy is believed about addresses on its own).
    t = await startTestServer(sqlite, { trustedProxies: ['127.0.0.1'] });
    client = await webClient(t);
  });
  after(() => t?.close());

  /** A failed sign-in as `username`, forwarded for `forwardedFor`; the answer's status. */
  const attempt = async (forwardedFor: string, username: string): Promise<number> => {
    const browser = new TestBrowser(t.issuer);
    const page = await browser.get(authorizeUrl(t, codeRequest(client, pkce().challenge)));
    const form = formOf(page.html, 'name="password"');
    const response = await fetch(new URL(form.action, t.issuer), {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; '),
        'x-forwarded-for': forwardedFor,
      },
      body: new URLSearchParams({ ...form.fields, username, password: 'not the password' }).toString(),
    });
    await response.arrayBuffer();
    return response.status;
  };

  it('counts failures per forwarded client address, ignoring what the client put left of it', async () => {
    // Another username each time, so that only the address's allowance (30) runs out.
    for (let i = 0; i < 30; i++) {
      assert.equal(await attempt(`198.51.100.${i}, 203.0.113.1`, `guess-${i}`), 400, `attempt ${i}`);
    }
    assert.equal(await attempt('203.0.113.1', 'guess-30'), 429);
    assert.equal(await attempt('198.51.100.1, 203.0.113.2', 'guess-31'), 400);
  });
});
