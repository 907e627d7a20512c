/**
 * The `tessera` command as users and scripts meet it: the built bin in a child process, its
 * exit status, what it prints on stdout (with `--json`, one JSON object) and on stderr (on
 * failure, one `tessera:` line), and where its state goes.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { describeEachDatabase } from '../harness.js';
import {
  failureLine,
  jsonResult,
  postgresAdminUrl,
  REPO_ROOT,
  type Run,
  runCommand,
  runTessera,
  TESSERA_BIN,
  tempDirs,
} from './run-tessera.js';

const dirs = tempDirs();
after(() => dirs.cleanup());

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;
const BASE64URL_32_BYTES = /^[A-Za-z0-9_-]{43}$/;
const CC = 'client_credentials';
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

/** A fresh working directory and a SQLite database in it, as the brief of each test wants. */
function workspace() {
  const cwd = dirs.make();
  const db = `sqlite:${join(cwd, 't.db')}`;
  return { cwd, db, run: (args: readonly string[]) => runTessera([...args, '--db', db], { cwd }) };
}

const seconds = (iso: unknown) => {
  assert.equal(typeof iso, 'string');
  assert.match(iso as string, ISO_8601);
  const ms = Date.parse(iso as string);
  assert.ok(Number.isFinite(ms), `${iso} is not a date`);
  return ms / 1000;
};

const mode = (file: string) => statSync(file).mode & 0o777;

describe('tessera: failures exit non-zero with one line on stderr and nothing on stdout', {
  concurrency: 2,
}, () => {
  const cases: [title: string, args: string[], mentions: RegExp][] = [
    ['a DURATION without a unit', ['--access-token-ttl', '300'], /access-token-ttl/],
    ['a DURATION with an unknown unit', ['--access-token-ttl', '5min'], /access-token-ttl/],
    ['a negative DURATION', ['--access-token-ttl=-5m'], /access-token-ttl/],
    ['a fractional DURATION', ['--access-token-ttl', '1.5h'], /access-token-ttl/],
    ['an access-token lifetime of 0s', ['--access-token-ttl', '0s'], /lifetime|ttl/i],
    ['an access-token lifetime over a day', ['--access-token-ttl', '25h'], /lifetime|ttl/i],
    ['an unknown grant', ['--grant', 'password'], /password/],
    ['an unknown auth method', ['--auth-method', 'client_secret_jwt'], /auth-method|auth method/],
    ['an unknown token format', ['--token-format', 'xml'], /token-format/],
    ['an unknown flag', ['--colour', 'blue'], /--colour/],
    ['an unknown flag given with =', ['--colour=blue'], /--colour/],
    ['a stray positional argument', ['stray'], /stray|argument/],
  ];
  for (const [title, extra, mentions] of cases) {
    it(`client create with ${title}`, async () => {
      const { run } = workspace();
      const result = await run(['client', 'create', '--name', 'svc', '--grant', CC, ...extra, '--json']);
      assert.match(failureLine(result), mentions);
    });
  }

  it('client create without --name, and with an empty one', async () => {
    const { run } = workspace();
    assert.match(failureLine(await run(['client', 'create', '--grant', CC, '--json'])), /--name/);
    assert.match(failureLine(await run(['client', 'create', '--name', '', '--grant', CC, '--json'])), /name/);
  });

  it('client create without --grant', async () => {
    const { run } = workspace();
    assert.match(failureLine(await run(['client', 'create', '--name', 'svc', '--json'])), /--grant/);
  });

  it('a flag missing its value', async () => {
    const { cwd, db } = workspace();
    for (const flag of ['--name', '--grant', '--scope', '--access-token-ttl', '--audience']) {
      // The flag is last, so nothing can be taken for its value.
      const args = ['client', 'create', '--db', db, '--json', '--name', 'svc', '--grant', CC, flag];
      assert.match(failureLine(await runTessera(args, { cwd })), new RegExp(flag));
    }
    assert.match(failureLine(await runTessera(['client', 'list', '--json', '--db'], { cwd })), /--db/);
  });

  it('--auth-method tls_client_auth is refused without the certificate subject', async () => {
    const { run } = workspace();
    const result = await run([
      'client',
      'create',
      '--name',
      'svc',
      '--grant',
      CC,
      '--auth-method',
      'tls_client_auth',
    ]);
    const line = failureLine(result);
    assert.match(line, /tls_client_auth/);
    assert.match(line, /--tls-subject-dn/);
  });

  it('a public client (--auth-method none) gets no secret and may not use client_credentials', async () => {
    const { run } = workspace();
    const base = ['client', 'create', '--name', 'spa', '--auth-method', 'none', '--json'];
    assert.match(failureLine(await run([...base, '--grant', CC])), /public client/);
    const created = await run([
      ...base,
      '--grant',
      'authorization_code',
      '--redirect-uri',
      'http://127.0.0.1:5173/cb',
    ]);
    const output = jsonResult(created);
    assert.match(String(output.client_id), /^cli_/);
    assert.equal('client_secret' in output, false);
  });

  it('redirect URIs: plain http only to loopback, no fragment, no script schemes', async () => {
    const { run } = workspace();
    const base = ['client', 'create', '--name', 'web', '--grant', 'authorization_code', '--redirect-uri'];
    for (const uri of [
      'http://app.example/cb',
      'https://app.example/cb#x',
      'javascript:alert(1)',
      'data:text/html,x',
    ]) {
      assert.match(failureLine(await run([...base, uri])), /redirect URI/, uri);
    }
    assert.match(
      failureLine(await run(['client', 'create', '--name', 'web', '--grant', 'authorization_code'])),
      /redirect-uri/,
    );
  });

  it('private_key_jwt without --jwks, or with a private key in it', async () => {
    const { cwd, run } = workspace();
    const args = ['client', 'create', '--name', 'svc', '--grant', CC, '--auth-method', 'private_key_jwt'];
    assert.match(failureLine(await run([...args, '--json'])), /jwks/i);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const file = join(cwd, 'private.jwks');
    writeFileSync(file, JSON.stringify({ keys: [privateKey.export({ format: 'jwk' })] }));
    assert.match(failureLine(await run([...args, '--jwks', file, '--json'])), /private/);
  });

  it('unknown commands and actions', async () => {
    const { cwd } = workspace();
    assert.match(failureLine(await runTessera(['frobnicate'], { cwd })), /frobnicate/);
    for (const command of ['client', 'api', 'keys']) {
      failureLine(await runTessera([command, 'frobnicate', '--json'], { cwd }));
      failureLine(await runTessera([command], { cwd }));
    }
  });

  it('no command at all is a failure with a reason on stderr', async () => {
    const { cwd } = workspace();
    const result = await runTessera([], { cwd });
    assert.notEqual(result.code, 0);
    const lines = result.stderr.split('\n').filter((line) => line !== '');
    assert.equal(
      lines.length,
      1,
      `expected a one-line reason on stderr, got ${JSON.stringify(result.stderr)}`,
    );
    assert.match(lines[0] ?? '', /^tessera: \S/);
  });

  it('a --db that is neither sqlite: nor postgres://', async () => {
    const { cwd } = workspace();
    for (const db of ['mysql://localhost/x', 'sqlite:', './t.db']) {
      failureLine(await runTessera(['client', 'list', '--json', '--db', db], { cwd }));
    }
  });

  it('client delete of an unknown id, and without an id', async () => {
    const { run } = workspace();
    assert.match(
      failureLine(await run(['client', 'delete', 'cli_doesnotexist', '--json'])),
      /cli_doesnotexist/,
    );
    failureLine(await run(['client', 'delete', '--json']));
  });

  it('api create without --audience, with an unknown --alg, or a bad --token-ttl', async () => {
    const { run } = workspace();
    assert.match(failureLine(await run(['api', 'create', '--scope', 'a', '--json'])), /--audience/);
    assert.match(
      failureLine(await run(['api', 'create', '--audience', 'x', '--alg', 'none', '--json'])),
      /alg/,
    );
    assert.match(
      failureLine(await run(['api', 'create', '--audience', 'x', '--token-ttl', 'soon', '--json'])),
      /token-ttl/,
    );
  });

  it('keys rotate with a symmetric or unknown --alg, or a bad --activate-in', async () => {
    const { run } = workspace();
    assert.match(failureLine(await run(['keys', 'rotate', '--alg', 'HS256', '--json'])), /alg/);
    assert.match(failureLine(await run(['keys', 'rotate', '--alg', 'ES512', '--json'])), /alg/);
    assert.match(failureLine(await run(['keys', 'rotate', '--activate-in', '5', '--json'])), /activate-in/);
  });
});

describe('tessera: secrets stay off stderr when a command fails', { concurrency: 2 }, () => {
  it('a database URL with a password that is not understood', async () => {
    const { cwd } = workspace();
    const secret = `pw-${randomBytes(8).toString('hex')}`;
    const db = `mysql://tessera:${secret}@db.invalid/tessera`;
    const list = await runTessera(['client', 'list', '--json', '--db', db], { cwd });
    failureLine(list);
    assert.ok(!list.stderr.includes(secret), `the password is on stderr: ${list.stderr}`);
    // serve validates the same setting at start-up.
    const serve = await runTessera(['serve', '--port', '0', '--db', db], { cwd });
    assert.notEqual(serve.code, 0);
    assert.ok(!serve.stderr.includes(secret), `serve prints the password on stderr: ${serve.stderr}`);
    assert.ok(!serve.stdout.includes(secret));
  });

  it('a malformed TESSERA_MASTER_KEY is named, not shown', async () => {
    const { run, cwd } = workspace();
    const secret = `${randomBytes(16).toString('hex')}!`;
    const result = await runTessera(['client', 'list', '--json', '--db', `sqlite:${join(cwd, 't.db')}`], {
      cwd,
      env: { TESSERA_MASTER_KEY: secret },
    });
    assert.match(failureLine(result), /TESSERA_MASTER_KEY/);
    assert.ok(!result.stderr.includes(secret.slice(0, 12)), result.stderr);
    // And nothing was written under the bad key: a run without it works and makes its key file.
    jsonResult(await run(['client', 'list', '--json']));
  });

  it('a flag value that looks like a secret', async () => {
    const { run } = workspace();
    const secret = `s-${randomBytes(8).toString('hex')}`;
    const result = await run([
      'client',
      'create',
      '--name',
      'svc',
      '--grant',
      CC,
      `--client-secret=${secret}`,
    ]);
    failureLine(result);
    assert.ok(!result.stderr.includes(secret), result.stderr);
  });

  const admin = postgresAdminUrl();
  it('a wrong PostgreSQL password', { skip: 'skip' in admin ? admin.skip : false }, async () => {
    if (!('url' in admin)) return;
    const { cwd } = workspace();
    const secret = `pw-${randomBytes(8).toString('hex')}`;
    const url = new URL(admin.url);
    url.password = secret;
    const result = await runTessera(['client', 'list', '--json', '--db', url.toString()], { cwd });
    failureLine(result);
    assert.ok(!result.stderr.includes(secret), result.stderr);
  });
});

describeEachDatabase('tessera: state commands', (database) => {
  let cwd: string;
  let db: string;
  let drop: () => Promise<void>;
  const run = (args: readonly string[], env?: Record<string, string>) =>
    runTessera([...args, '--db', db], env === undefined ? { cwd } : { cwd, env });

  before(async () => {
    cwd = dirs.make();
    ({ url: db, drop } = await database.create(cwd));
  });
  after(async () => {
    await drop?.();
  });

  it('client create --json prints one object with client_id and client_secret, and nothing else', async () => {
    const first = await run(['client', 'create', '--name', 'svc', '--grant', CC, '--json']);
    assert.equal(first.stderr, '');
    const created = jsonResult(first);
    assert.equal(typeof created.client_id, 'string');
    assert.equal(typeof created.client_secret, 'string');
    assert.ok((created.client_secret as string).length >= 43, 'a secret carries at least 256 bits');
    assert.equal(first.stdout.trim().split('\n').length, 1);
    assert.ok(first.stdout.endsWith('\n'));
    const second = jsonResult(await run(['client', 'create', '--name', 'svc', '--grant', CC, '--json']));
    assert.notEqual(second.client_id, created.client_id);
    assert.notEqual(second.client_secret, created.client_secret);
  });

  it('client create takes repeated --grant and --audience, --scope, --token-format, --resource-server, --access-token-ttl', async () => {
    const created = jsonResult(
      await run([
        'client',
        'create',
        '--name',
        'exchanger',
        '--grant',
        CC,
        '--grant',
        TOKEN_EXCHANGE,
        '--scope',
        'charges:read charges:write',
        '--audience',
        'billing-api',
        '--audience',
        'ledger-api',
        '--token-format',
        'opaque',
        '--resource-server',
        '--access-token-ttl',
        '5m',
        '--auth-method',
        'client_secret_post',
        '--json',
      ]),
    );
    assert.equal(typeof created.client_secret, 'string');
    const expected = {
      client_id: created.client_id,
      name: 'exchanger',
      grant_types: [CC, TOKEN_EXCHANGE],
      scope: 'charges:read charges:write',
      audiences: ['billing-api', 'ledger-api'],
      token_format: 'opaque',
      resource_server: true,
      access_token_ttl: 300,
      token_endpoint_auth_method: 'client_secret_post',
    };
    for (const [key, value] of Object.entries(expected)) assert.deepEqual(created[key], value, key);
    // The registration is stored as printed.
    const { clients } = jsonResult(await run(['client', 'list', '--json'])) as {
      clients: Record<string, unknown>[];
    };
    const listed = clients.find((client) => client.client_id === created.client_id);
    assert.ok(listed, 'the new client is listed');
    for (const [key, value] of Object.entries(expected)) assert.deepEqual(listed[key], value, key);
    assert.ok(!('client_secret' in listed), 'a list never shows a secret');
    assert.ok(!JSON.stringify(clients).includes(created.client_secret as string));
  });

  it('client create --auth-method private_key_jwt --jwks FILE gives no secret', async () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const file = join(cwd, 'client.jwks');
    writeFileSync(file, JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), alg: 'ES256' }] }));
    const created = jsonResult(
      await run([
        'client',
        'create',
        '--name',
        'jwt-client',
        '--grant',
        CC,
        '--auth-method',
        'private_key_jwt',
        '--jwks',
        file,
        '--json',
      ]),
    );
    assert.equal(typeof created.client_id, 'string');
    assert.ok(!('client_secret' in created), 'no secret for a client that signs its assertions');
  });

  it('client list --json and client delete ID --json', async () => {
    const a = jsonResult(await run(['client', 'create', '--name', 'to-delete', '--grant', CC, '--json']));
    const b = jsonResult(await run(['client', 'create', '--name', 'to-keep', '--grant', CC, '--json']));
    const before = jsonResult(await run(['client', 'list', '--json']));
    assert.ok(Array.isArray(before.clients));
    const ids = (before.clients as { client_id: string }[]).map((client) => client.client_id);
    assert.ok(ids.includes(a.client_id as string) && ids.includes(b.client_id as string));

    const deleted = jsonResult(await run(['client', 'delete', a.client_id as string, '--json']));
    assert.equal(deleted.client_id, a.client_id);
    assert.equal(deleted.deleted, true);

    const afterDelete = jsonResult(await run(['client', 'list', '--json']));
    const remaining = (afterDelete.clients as { client_id: string }[]).map((client) => client.client_id);
    assert.ok(!remaining.includes(a.client_id as string), 'the deleted client is gone');
    assert.ok(remaining.includes(b.client_id as string), 'the other client is still there');
    // Deleting it again, like deleting an id that never was, fails.
    assert.match(failureLine(await run(['client', 'delete', a.client_id as string, '--json'])), /no client/);
  });

  it('api create --json gives {audience}; with --alg HS256 also a secret; a duplicate audience fails', async () => {
    const plain = jsonResult(
      await run(['api', 'create', '--audience', 'billing-api', '--scope', 'a b', '--json']),
    );
    assert.equal(plain.audience, 'billing-api');
    assert.ok(!('secret' in plain), 'no secret for an asymmetric API');

    const hs = jsonResult(
      await run(['api', 'create', '--audience', 'hs-api', '--scope', 'x', '--alg', 'HS256', '--json']),
    );
    assert.equal(hs.audience, 'hs-api');
    assert.match(String(hs.secret), BASE64URL_32_BYTES);

    const duplicate = await run(['api', 'create', '--audience', 'billing-api', '--scope', 'c', '--json']);
    assert.match(failureLine(duplicate), /billing-api/);
    const duplicateHs = await run(['api', 'create', '--audience', 'hs-api', '--alg', 'HS256', '--json']);
    failureLine(duplicateHs);
    assert.ok(!duplicateHs.stderr.includes(String(hs.secret)));
  });

  it('keys rotate --json gives {kid, alg, active_at}; by default it signs from now + 300 s', async () => {
    const before = Math.floor(Date.now() / 1000);
    const rotated = jsonResult(await run(['keys', 'rotate', '--json']));
    const afterRun = Math.ceil(Date.now() / 1000);
    assert.equal(typeof rotated.kid, 'string');
    assert.ok((rotated.kid as string).length > 0);
    assert.equal(rotated.alg, 'ES256');
    const activeAt = seconds(rotated.active_at);
    assert.ok(
      activeAt >= before + 300 && activeAt <= afterRun + 300,
      `active_at ${rotated.active_at} is not now + 300 s (run between ${before} and ${afterRun})`,
    );
  });

  it('keys rotate --activate-in 0s switches at once; --alg RS256 and EdDSA', async () => {
    for (const alg of ['RS256', 'EdDSA']) {
      const before = Math.floor(Date.now() / 1000);
      const rotated = jsonResult(
        await run(['keys', 'rotate', '--alg', alg, '--activate-in', '0s', '--json']),
      );
      const afterRun = Math.ceil(Date.now() / 1000);
      assert.equal(rotated.alg, alg);
      const activeAt = seconds(rotated.active_at);
      assert.ok(
        activeAt >= before && activeAt <= afterRun,
        `${alg} active_at ${rotated.active_at} is not now`,
      );
    }
    const later = jsonResult(
      await run(['keys', 'rotate', '--alg', 'EdDSA', '--activate-in', '2h', '--json']),
    );
    const now = Date.now() / 1000;
    assert.ok(Math.abs(seconds(later.active_at) - (now + 7200)) < 120, `${later.active_at} is not in 2 h`);
  });

  it('keys list --json shows every key rotated in, with its alg and activation', async () => {
    const rotated = jsonResult(
      await run(['keys', 'rotate', '--alg', 'RS256', '--activate-in', '10m', '--json']),
    );
    const listed = jsonResult(await run(['keys', 'list', '--json']));
    assert.ok(Array.isArray(listed.keys));
    const keys = listed.keys as Record<string, unknown>[];
    const mine = keys.find((key) => key.kid === rotated.kid);
    assert.ok(mine, 'the rotated key is listed');
    assert.equal(mine.alg, 'RS256');
    assert.equal(seconds(mine.active_at), seconds(rotated.active_at));
    for (const key of keys) {
      assert.equal(typeof key.kid, 'string');
      assert.ok(['ES256', 'RS256', 'EdDSA'].includes(key.alg as string), `unexpected alg ${key.alg}`);
      seconds(key.active_at);
    }
    assert.ok(!JSON.stringify(listed).includes('"d"'), 'no private key material in the list');
  });
});

describe('tessera: where the state goes', { concurrency: 2 }, () => {
  it('without --db: ./.tessera/tessera.db and a 0600 master.key under the working directory', async () => {
    const cwd = dirs.make();
    const created = jsonResult(
      await runTessera(['client', 'create', '--name', 'svc', '--grant', CC, '--json'], { cwd }),
    );
    const dbFile = join(cwd, '.tessera', 'tessera.db');
    const keyFile = join(cwd, '.tessera', 'master.key');
    assert.ok(existsSync(dbFile), 'the default database is ./.tessera/tessera.db');
    assert.ok(existsSync(keyFile), 'the master key sits beside it');
    assert.equal(mode(keyFile).toString(8), '600');
    // The next command run there finds the same state; one run elsewhere does not.
    const here = jsonResult(await runTessera(['client', 'list', '--json'], { cwd }));
    assert.ok(JSON.stringify(here.clients).includes(created.client_id as string));
    const elsewhere = dirs.make();
    const there = jsonResult(await runTessera(['client', 'list', '--json'], { cwd: elsewhere }));
    assert.deepEqual(there.clients, []);
    assert.ok(existsSync(join(elsewhere, '.tessera', 'tessera.db')));
  });

  it('a relative sqlite: path is taken from the working directory, and master.key goes beside it', async () => {
    const cwd = dirs.make();
    jsonResult(
      await runTessera(
        ['client', 'create', '--name', 'svc', '--grant', CC, '--json', '--db', 'sqlite:./data/x.db'],
        {
          cwd,
        },
      ),
    );
    assert.ok(existsSync(join(cwd, 'data', 'x.db')));
    assert.equal(mode(join(cwd, 'data', 'master.key')).toString(8), '600');
    assert.ok(!existsSync(join(cwd, '.tessera')), 'nothing in ./.tessera when --db names another place');
  });

  it('TESSERA_DB is honoured, and --db overrides it', async () => {
    const cwd = dirs.make();
    const fromEnv = `sqlite:${join(cwd, 'env', 'env.db')}`;
    const env = { TESSERA_DB: fromEnv };
    const viaEnv = jsonResult(
      await runTessera(['client', 'create', '--name', 'e', '--grant', CC, '--json'], { cwd, env }),
    );
    assert.ok(existsSync(join(cwd, 'env', 'env.db')));
    assert.ok(!existsSync(join(cwd, '.tessera')), 'TESSERA_DB replaces the default');
    const listed = jsonResult(await runTessera(['client', 'list', '--json', '--db', fromEnv], { cwd }));
    assert.ok(JSON.stringify(listed.clients).includes(viaEnv.client_id as string));

    const flagDb = `sqlite:${join(cwd, 'flag', 'flag.db')}`;
    const viaFlag = jsonResult(
      await runTessera(['client', 'create', '--name', 'f', '--grant', CC, '--json', '--db', flagDb], {
        cwd,
        env,
      }),
    );
    const inFlagDb = jsonResult(await runTessera(['client', 'list', '--json', '--db', flagDb], { cwd }));
    assert.ok(JSON.stringify(inFlagDb.clients).includes(viaFlag.client_id as string));
    const inEnvDb = jsonResult(await runTessera(['client', 'list', '--json'], { cwd, env }));
    assert.ok(
      !JSON.stringify(inEnvDb.clients).includes(viaFlag.client_id as string),
      '--db wins over TESSERA_DB',
    );
  });
});

describe('tessera: the installed command', { concurrency: 2 }, () => {
  it('node_modules/.bin/tessera exists at the repository root and is this bin', () => {
    const link = join(REPO_ROOT, 'node_modules', '.bin', 'tessera');
    accessSync(link, constants.X_OK);
    assert.equal(realpathSync(link), realpathSync(TESSERA_BIN));
  });

  it('npx tessera works from the repository root', async () => {
    const scratch = dirs.make();
    const npx = join(dirname(process.execPath), 'npx');
    const result = await runCommand(
      existsSync(npx) ? npx : 'npx',
      [
        '--no',
        'tessera',
        'client',
        'create',
        '--name',
        'via-npx',
        '--grant',
        CC,
        '--json',
        '--db',
        `sqlite:${join(scratch, 't.db')}`,
      ],
      { cwd: REPO_ROOT },
    );
    const created = jsonResult(result);
    assert.equal(typeof created.client_id, 'string');
    assert.equal(typeof created.client_secret, 'string');
    assert.ok(existsSync(join(scratch, 't.db')));
  });

  it('the bin runs from another working directory, by node and through its link', async () => {
    const cwd = dirs.make();
    const viaNode = await runTessera(['keys', 'list', '--json'], { cwd });
    assert.deepEqual(jsonResult(viaNode), { keys: [] });
    const link = join(REPO_ROOT, 'node_modules', '.bin', 'tessera');
    const pathWithNode = `${dirname(process.execPath)}:${process.env.PATH ?? ''}`;
    const viaLink = await runCommand(link, ['client', 'create', '--name', 'svc', '--grant', CC, '--json'], {
      cwd,
      env: { PATH: pathWithNode },
    });
    assert.equal(typeof jsonResult(viaLink).client_id, 'string');
    assert.ok(existsSync(join(cwd, '.tessera', 'tessera.db')), 'the state is under the caller’s directory');
  });

  it('tessera --help exits 0 with the usage on stdout', async () => {
    const cwd = dirs.make();
    const check = (result: Run) => {
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stderr, '');
      assert.match(result.stdout, /tessera client create/);
      assert.match(result.stdout, /tessera serve/);
    };
    check(await runTessera(['--help'], { cwd }));
    check(await runTessera(['client', 'create', '--help'], { cwd }));
    assert.ok(!existsSync(join(cwd, '.tessera')), '--help touches no state');
  });
});
