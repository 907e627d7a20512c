/**
 * The revocation feed: what a resource server hears after a token or a client is revoked,
 * and who may listen.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { promisify } from 'node:util';
import { basic, describeEachDatabase, postForm, startTestServer, type TestServer } from '../harness.js';

describeEachDatabase('revocation feed', (db) => {
  let t: TestServer;
  let service: { clientId: string; clientSecret: string };
  let listener: string;

  before(async () => {
    t = await startTestServer(db);
    service = await t.createClient({ scopes: ['read'], audiences: ['api'] });
    const gateway = await t.createClient({ resourceServer: true });
    listener = basic(gateway.clientId, gateway.clientSecret);
  });
  after(() => t.close());

  const feed = (after: string, authorization = listener) =>
    fetch(`${t.issuer}/revocations?after=${after}`, { headers: { authorization } });
  const issue = async (client = service) =>
    (
      await (
        await postForm(
          `${t.issuer}/token`,
          { grant_type: 'client_credentials' },
          {
            authorization: basic(client.clientId, client.clientSecret),
          },
        )
      ).json()
    ).access_token as string;

  it('carries a revoked token by jti until it expires, and repeats unsettled events', async () => {
    const token = await issue();
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString());
    assert.equal(
      (
        await postForm(
          `${t.issuer}/revoke`,
          { token },
          { authorization: basic(service.clientId, service.clientSecret) },
        )
      ).status,
      200,
    );

    const response = await feed('0');
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const page = await response.json();
    const event = page.events.find((candidate: { value: string }) => candidate.value === claims.jti);
    assert.deepEqual(Object.keys(event).sort(), ['expires_at', 'kind', 'revoked_at', 'seq', 'value']);
    assert.equal(event.kind, 'token');
    assert.equal(event.expires_at, claims.exp);
    // Fresh events are not yet settled: the cursor stays, and they come again.
    assert.equal(page.next, 0);
    const again = await (await feed(String(page.next))).json();
    assert.ok(again.events.some((candidate: { seq: number }) => candidate.seq === event.seq));
    // Past the event's sequence number there is nothing new.
    assert.deepEqual((await (await feed(String(event.seq))).json()).events, []);
  });

  it('deleting a client revokes its tokens and tells the feed', async () => {
    const doomed = await t.createClient({ scopes: ['read'], audiences: ['api'] });
    const token = await issue(doomed);
    const introspect = async () =>
      (await (await postForm(`${t.issuer}/introspect`, { token }, { authorization: listener })).json())
        .active;
    assert.equal(await introspect(), true);
    assert.equal(await t.server.tessera.clients.delete(doomed.clientId), true);
    assert.equal(await introspect(), false);
    const page = await (await feed('0')).json();
    assert.ok(
      page.events.some(
        (event: { kind: string; value: string }) =>
          event.kind === 'client' && event.value === doomed.clientId,
      ),
    );
  });

  it('a client deleted by another process is refused within seconds, and its tokens die', async () => {
    const doomed = await t.createClient({ scopes: ['read'], audiences: ['api'] });
    const token = await issue(doomed);
    const bin = join(import.meta.dirname, '../../bin/tessera.js');
    await promisify(execFile)(process.execPath, [bin, 'client', 'delete', doomed.clientId, '--db', t.dbUrl], {
      cwd: t.dir,
    });
    let refused = false;
    for (let attempt = 0; attempt < 40 && !refused; attempt++) {
      const response = await postForm(
        `${t.issuer}/token`,
        { grant_type: 'client_credentials' },
        {
          authorization: basic(doomed.clientId, doomed.clientSecret),
        },
      );
      refused = response.status === 401;
      if (!refused) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.ok(refused, 'the deleted client still gets tokens');
    const introspection = await postForm(`${t.issuer}/introspect`, { token }, { authorization: listener });
    assert.equal((await introspection.json()).active, false);
  });

  it('is only for resource servers', async () => {
    assert.equal((await feed('0', basic(service.clientId, service.clientSecret))).status, 403);
    const anonymous = await fetch(`${t.issuer}/revocations?after=0`);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get('www-authenticate'), 'Basic realm="tessera"');
    for (const bad of ['-1', 'abc', '1.5', '99999999999999999999']) {
      assert.equal((await feed(bad)).status, 400, bad);
    }
    assert.equal(
      (await fetch(`${t.issuer}/revocations?after=1&after=2`, { headers: { authorization: listener } }))
        .status,
      400,
    );
  });
});
