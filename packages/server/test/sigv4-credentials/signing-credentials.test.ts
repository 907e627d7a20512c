/**
 * Request-signing credentials: created by the CLI, the secret shown once; resource servers
 * get only the day-scoped derived key, for a day near today; revoked credentials give none.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { promisify } from 'node:util';
import { basic, describeEachDatabase, postForm, startTestServer, type TestServer } from '../harness.js';

const BIN = join(import.meta.dirname, '../../bin/tessera.js');

/** The SigV4 key derivation, written again here so the server's is checked against it. */
function kSigning(secret: string, date: string, region: string, service: string): string {
  const step = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
  return step(step(step(step(`AWS4${secret}`, date), region), service), 'aws4_request').toString('base64url');
}
const day = (offsetDays: number) =>
  new Date(Date.now() + offsetDays * 86400_000).toISOString().slice(0, 10).replaceAll('-', '');

describeEachDatabase('SigV4 signing credentials', (db) => {
  let t: TestServer;
  let gateway: string;

  before(async () => {
    t = await startTestServer(db);
    const rs = await t.createClient({ resourceServer: true });
    gateway = basic(rs.clientId, rs.clientSecret);
  });
  after(() => t.close());

  const tessera = async (...args: string[]) => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [BIN, ...args, '--db', t.dbUrl, '--json'],
      { cwd: t.dir },
    );
    return JSON.parse(stdout);
  };
  const signingKey = (form: Record<string, string>, authorization = gateway) =>
    postForm(`${t.issuer}/sigv4/signing-key`, form, { authorization });

  it('gives resource servers the derived key of a live credential, never the secret', async () => {
    const created = await tessera('hmac', 'create', '--name', 'billing-caller', '--scope', 'charges:read');
    assert.match(created.access_key_id, /^TKIA[A-Z2-7]{16}$/);
    assert.match(created.secret_access_key, /^[A-Za-z0-9_-]{43}$/);
    const date = day(0);
    const response = await signingKey({
      access_key_id: created.access_key_id,
      date,
      region: 'local',
      service: 'billing',
    });
    const body = await response.json();
    assert.equal(body.active, true);
    assert.equal(body.scope, 'charges:read');
    assert.equal(body.signing_key, kSigning(created.secret_access_key, date, 'local', 'billing'));
    assert.ok(!JSON.stringify(body).includes(created.secret_access_key));
    assert.equal(response.headers.get('cache-control'), 'no-store');
  });

  it('gives nothing for far days, unknown or revoked credentials, and nothing to other clients', async () => {
    const created = await tessera('hmac', 'create', '--name', 'other', '--scope', 'x');
    const form = { access_key_id: created.access_key_id, region: 'local', service: 'billing' };
    assert.equal((await (await signingKey({ ...form, date: day(1) })).json()).active, true);
    for (const date of [day(2), day(-2), '2020-01-01', 'today']) {
      assert.deepEqual(await (await signingKey({ ...form, date })).json(), { active: false }, date);
    }
    for (const [region, service] of [
      ['local', 'a/b'],
      ['local', 'x'.repeat(200)],
      ['two words', 'b'],
    ]) {
      const response = await signingKey({ ...form, date: day(0), region, service });
      assert.equal(response.status, 200, `${region}/${service}`);
      assert.deepEqual(await response.json(), { active: false });
    }
    assert.deepEqual(
      await (await signingKey({ ...form, date: day(0), access_key_id: 'TKIANOSUCHKEY0000000' })).json(),
      {
        active: false,
      },
    );
    const plain = await t.createClient({});
    assert.equal(
      (await signingKey({ ...form, date: day(0) }, basic(plain.clientId, plain.clientSecret))).status,
      403,
    );
    assert.equal((await signingKey({ ...form, date: day(0) }, 'Basic bm9ib2R5Om5vdGhpbmc=')).status, 401);

    assert.deepEqual(await tessera('hmac', 'revoke', created.access_key_id), {
      access_key_id: created.access_key_id,
      revoked: true,
    });
    assert.deepEqual(await (await signingKey({ ...form, date: day(0) })).json(), { active: false });
    const listed = (await tessera('hmac', 'list')).credentials.find(
      (credential: { access_key_id: string }) => credential.access_key_id === created.access_key_id,
    );
    assert.ok(listed.revoked_at !== null);
  });
});
