/**
 * `tessera keys rotate`, run as its own process against the database of a running server:
 * the server publishes the new key without restart, signs with it once it is active, and
 * keeps publishing the old key so tokens it signed still verify.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { promisify } from 'node:util';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { basic, describeEachDatabase, postForm, startTestServer, type TestServer } from '../harness.js';

const BIN = join(import.meta.dirname, '../../bin/tessera.js');
const run = promisify(execFile);

describeEachDatabase('signing key rotation', (db) => {
  let t: TestServer;
  let auth: string;

  before(async () => {
    t = await startTestServer(db);
    const client = await t.createClient({ scopes: ['read'], audiences: ['api'] });
    auth = basic(client.clientId, client.clientSecret);
  });
  after(() => t.close());

  const tessera = async (...args: string[]) => {
    const { stdout } = await run(process.execPath, [BIN, ...args, '--db', t.dbUrl, '--json'], { cwd: t.dir });
    return JSON.parse(stdout);
  };
  const jwks = async () => (await (await fetch(`${t.issuer}/jwks`)).json()) as { keys: { kid: string }[] };
  const issue = async () =>
    (
      await (
        await postForm(`${t.issuer}/token`, { grant_type: 'client_credentials' }, { authorization: auth })
      ).json()
    ).access_token as string;
  async function waitForKid(kid: string) {
    for (let attempt = 0; attempt < 60; attempt++) {
      if ((await jwks()).keys.some((key) => key.kid === kid)) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.fail(`key ${kid} was never published`);
  }

  it('publishes a rotated key ahead of use, switches to it, and keeps the old one', async () => {
    const before = await issue();
    const firstKid = decodeProtectedHeader(before).kid;

    const pending = await tessera('keys', 'rotate', '--activate-in', '1h');
    assert.equal(pending.alg, 'ES256');
    const activeAt = Date.parse(pending.active_at);
    assert.ok(Math.abs(activeAt - (Date.now() + 3600_000)) < 60_000, pending.active_at);
    await waitForKid(pending.kid);
    assert.equal(decodeProtectedHeader(await issue()).kid, firstKid, 'a pending key must not sign yet');

    const now = await tessera('keys', 'rotate', '--activate-in', '0s');
    await waitForKid(now.kid);
    const after = await issue();
    assert.equal(decodeProtectedHeader(after).kid, now.kid);

    const published = await jwks();
    for (const kid of [firstKid, pending.kid, now.kid]) {
      assert.ok(
        published.keys.some((key) => key.kid === kid),
        `${kid} should be published`,
      );
    }
    const keySet = createLocalJWKSet(published as Parameters<typeof createLocalJWKSet>[0]);
    for (const token of [before, after]) {
      await jwtVerify(token, keySet, { issuer: t.issuer, typ: 'at+jwt', algorithms: ['ES256'] });
    }

    const listed = await tessera('keys', 'list');
    const first = listed.keys.find((key: { kid: string }) => key.kid === firstKid);
    assert.ok(first.expires_at !== null, 'the replaced key gets a retirement time');
    // It retires once every token it may have signed has expired: the newest key's
    // activation plus the longest token lifetime (15 min) plus clock tolerance.
    assert.ok(Date.parse(first.expires_at) >= Date.now() + 15 * 60_000);
  });

  it('rotates RS256 and EdDSA keys on request', async () => {
    for (const alg of ['RS256', 'EdDSA']) {
      const rotated = await tessera('keys', 'rotate', '--alg', alg, '--activate-in', '0s');
      assert.equal(rotated.alg, alg);
      await waitForKid(rotated.kid);
    }
  });
});
