/**
 * API keys end to end: made and rotated by the CLI, looked up by a resource server through
 * introspection, revoked at once, found by the leak scanner without ever printing one.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { promisify } from 'node:util';
import { mintApiKey } from '@tessera/core';
import { basic, describeEachDatabase, postForm, startTestServer, type TestServer } from '../harness.js';

const BIN = join(import.meta.dirname, '../../bin/tessera.js');

describeEachDatabase('API keys', (db) => {
  let t: TestServer;
  let gateway: string;
  let plainClient: string;

  before(async () => {
    t = await startTestServer(db);
    const rs = await t.createClient({ resourceServer: true });
    gateway = basic(rs.clientId, rs.clientSecret);
    const plain = await t.createClient({});
    plainClient = basic(plain.clientId, plain.clientSecret);
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
  const lookUp = async (key: string, as = gateway) =>
    (await (
      await postForm(`${t.issuer}/introspect`, { token: key }, { authorization: as })
    ).json()) as Record<string, unknown>;
  async function eventually(check: () => Promise<boolean>, what: string) {
    for (let attempt = 0; attempt < 40; attempt++) {
      if (await check()) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.fail(what);
  }

  it('creates a key shown once, and a resource server looks it up', async () => {
    const created = await tessera(
      'apikey',
      'create',
      '--name',
      'billing-job',
      '--scope',
      'charges:read charges:write',
      '--env',
      'test',
    );
    assert.match(created.key, /^tsk_test_[0-9A-Za-z]{49}$/);
    assert.equal(created.prefix, `${created.key.slice(0, 13)}…`);
    const answer = await lookUp(created.key);
    assert.equal(answer.active, true);
    assert.equal(answer.token_type, 'api_key');
    assert.equal(answer.sub, created.id);
    assert.equal(answer.scope, 'charges:read charges:write');
    assert.equal(answer.key_env, 'test');
    // Any other client learns nothing about API keys.
    assert.deepEqual(await lookUp(created.key, plainClient), { active: false });
    // Nor does a key of the right shape that was never issued, or a mistyped one.
    assert.deepEqual(await lookUp(mintApiKey('live')), { active: false });
    const last = created.key.at(-1) === 'x' ? 'y' : 'x';
    assert.deepEqual(await lookUp(`${created.key.slice(0, -1)}${last}`), { active: false });
  });

  it('records a rate limit, carries it through rotation and tells resource servers', async () => {
    const created = await tessera(
      'apikey',
      'create',
      '--name',
      'metered',
      '--scope',
      'x',
      '--rate-limit',
      '120',
    );
    assert.equal(created.rate_limit, 120);
    assert.equal((await lookUp(created.key)).rate_limit, 120);
    const rotated = await tessera('apikey', 'rotate', created.id);
    assert.equal((await lookUp(rotated.key)).rate_limit, 120);
    for (const bad of ['0', '-1', '1.5', 'lots']) {
      await assert.rejects(
        tessera('apikey', 'create', '--name', 'bad', '--scope', 'x', '--rate-limit', bad),
        bad,
      );
    }
  });

  it('keeps both keys working through the rotation overlap, then only the new one', async () => {
    const created = await tessera('apikey', 'create', '--name', 'rotating', '--scope', 'x');
    const rotated = await tessera('apikey', 'rotate', created.id, '--overlap', '2s');
    assert.notEqual(rotated.id, created.id);
    assert.ok(Math.abs(Date.parse(rotated.old_expires_at) - (Date.now() + 2000)) < 3000);
    assert.equal((await lookUp(created.key)).active, true);
    assert.equal((await lookUp(rotated.key)).active, true);
    await eventually(
      async () => (await lookUp(created.key)).active === false,
      'the old key outlived its overlap',
    );
    assert.equal((await lookUp(rotated.key)).active, true);
  });

  it('a revoked key stops working at once, here and through the feed', async () => {
    const created = await tessera('apikey', 'create', '--name', 'doomed', '--scope', 'x');
    assert.equal((await lookUp(created.key)).active, true);
    assert.deepEqual(await tessera('apikey', 'revoke', created.id), { id: created.id, revoked: true });
    await eventually(async () => (await lookUp(created.key)).active === false, 'the revoked key still works');
    const feed = await (
      await fetch(`${t.issuer}/revocations?after=0`, { headers: { authorization: gateway } })
    ).json();
    assert.ok(
      feed.events.some(
        (event: { kind: string; value: string }) => event.kind === 'subject' && event.value === created.id,
      ),
    );
  });

  it('an expired key stops working', async () => {
    const created = await tessera(
      'apikey',
      'create',
      '--name',
      'brief',
      '--scope',
      'x',
      '--expires-in',
      '1s',
    );
    await eventually(async () => (await lookUp(created.key)).active === false, 'the expired key still works');
  });

  it('scans files for keys, says which are live, revokes them on request, and never prints a key', async () => {
    const live = await tessera('apikey', 'create', '--name', 'leaked', '--scope', 'x');
    const dead = await tessera('apikey', 'create', '--name', 'old', '--scope', 'x');
    await tessera('apikey', 'revoke', dead.id);
    const folder = join(t.dir, 'leak');
    mkdirSync(join(folder, 'nested'), { recursive: true });
    writeFileSync(join(folder, 'app.log'), `start\nusing key ${live.key} for billing\n`);
    writeFileSync(
      join(folder, 'nested', 'config.json'),
      `{"key":"${dead.key}","other":"${mintApiKey('live')}"}`,
    );
    writeFileSync(join(folder, 'noise.txt'), `tsk_live_${'a'.repeat(49)} tsk_live_short`);

    const run = (...extra: string[]) =>
      promisify(execFile)(
        process.execPath,
        [BIN, 'apikey', 'scan', folder, ...extra, '--db', t.dbUrl, '--json'],
        {
          cwd: t.dir,
        },
      ).then(
        (result) => ({ ...result, code: 0 }),
        (error: { stdout: string; stderr: string; code: number }) => error,
      );
    const first = await run();
    assert.equal(first.code, 3, 'live keys found make a non-zero exit');
    const { findings } = JSON.parse(first.stdout);
    const byStatus = Object.fromEntries(
      findings.map((f: { status: string; id: string | null }) => [f.status, f]),
    );
    assert.equal(findings.length, 3, 'look-alikes with a wrong checksum are not reported');
    assert.equal(byStatus.live.id, live.id);
    assert.equal(byStatus.live.line, 2);
    assert.equal(byStatus.revoked.id, dead.id);
    assert.equal(byStatus.unknown.id, null);
    for (const output of [first.stdout, first.stderr]) {
      for (const key of [live.key, dead.key]) assert.ok(!output.includes(key.slice(13)), 'a key was printed');
    }

    const revoking = await run('--revoke');
    assert.equal(
      JSON.parse(revoking.stdout).findings.find((f: { id: string }) => f.id === live.id).status,
      'revoked now',
    );
    await eventually(async () => (await lookUp(live.key)).active === false, 'the scanned key still works');
    assert.equal((await run()).code, 0);
  });

  it('records when a key was last used, without a write per request', async () => {
    const created = await tessera('apikey', 'create', '--name', 'used', '--scope', 'x');
    await lookUp(created.key);
    const before = (await tessera('apikey', 'list')).keys.find(
      (key: { id: string }) => key.id === created.id,
    );
    assert.equal(before.last_used_at, null, 'use is batched, not written at once');
    await t.server.tessera.apiKeys.flushUsage();
    const afterFlush = (await tessera('apikey', 'list')).keys.find(
      (key: { id: string }) => key.id === created.id,
    );
    assert.ok(afterFlush.last_used_at !== null);
  });
});
