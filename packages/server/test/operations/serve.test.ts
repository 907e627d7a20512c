/**
 * `tessera serve` as a process: start-up and its URL line, health and readiness, signals
 * and graceful shutdown, configuration checks, HTTPS, the master key, and durability of
 * what the server acknowledged.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { jsonResult, postgresAdminUrl, runCommand, runTessera, tempDirs } from '../cli/run-tessera.js';
import { describeEachDatabase } from '../harness.js';
import {
  basic,
  killAll,
  postForm,
  type ServeProcess,
  type StartedServe,
  send,
  serveRefused,
  startServe,
  waitUntil,
  within,
} from './serve-process.js';

const dirs = tempDirs('tessera-serve-');
after(async () => {
  await killAll();
  dirs.cleanup();
});

const CC = 'client_credentials';
const mode = (file: string) => statSync(file).mode & 0o777;
const newMasterKey = () => randomBytes(32).toString('base64url');

/** A working directory with a SQLite database in it. */
function workspace() {
  const cwd = dirs.make();
  return { cwd, db: `sqlite:${join(cwd, 't.db')}` };
}

/** Registers a client with the CLI, as an operator does before starting the server. */
async function createClient(cwd: string, db: string, extra: string[] = [], env?: Record<string, string>) {
  const created = jsonResult(
    await runTessera(['client', 'create', '--name', 'svc', '--grant', CC, ...extra, '--json', '--db', db], {
      cwd,
      ...(env === undefined ? {} : { env }),
    }),
  );
  return { id: String(created.client_id), secret: String(created.client_secret) };
}

/**
 * Sends the signal and expects a clean exit: status 0, nothing on stderr. A request answered
 * first proves the server's start-up code has run to its end (see the test "handles SIGTERM
 * sent as soon as the URL line is out"), so this checks shutdown, not that race.
 */
async function stopCleanly(serve: StartedServe, signal: NodeJS.Signals = 'SIGTERM', ca?: Buffer) {
  assert.equal((await send(`${serve.url}/healthz`, ca === undefined ? {} : { ca })).status, 200);
  serve.child.kill(signal);
  const exit = await serve.exit();
  assert.deepEqual(exit, { code: 0, signal: null }, `after ${signal}; stderr: ${serve.stderr()}`);
  assert.equal(serve.stderr(), '', 'a clean shutdown prints nothing on stderr');
}

/** Asserts a refused start: non-zero exit, no URL, exactly `count` `tessera:` lines on stderr. */
function refusal(
  result: { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string },
  count = 1,
) {
  assert.equal(result.signal, null, `killed by ${result.signal}`);
  assert.notEqual(result.code, 0, `expected a refusal; stdout: ${result.stdout}`);
  assert.doesNotMatch(result.stdout, /https?:\/\//, 'a refused server prints no URL');
  const lines = result.stderr.split('\n').filter((line) => line !== '');
  assert.equal(
    lines.length,
    count,
    `expected ${count} line(s) on stderr, got ${JSON.stringify(result.stderr)}`,
  );
  for (const line of lines) assert.match(line, /^tessera: \S/);
  return lines;
}

const canConnect = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

describe('tessera serve: running and stopping', { concurrency: 2 }, () => {
  it('prints a line with its URL once it accepts connections; /healthz and /readyz answer 200', async () => {
    const { cwd, db } = workspace();
    const serve = await startServe(['--port', '0', '--db', db], { cwd });
    assert.match(serve.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    // No retry: the line promises that connections are accepted already.
    const health = await send(`${serve.url}/healthz`);
    assert.equal(health.status, 200);
    const ready = await send(`${serve.url}/readyz`);
    assert.equal(ready.status, 200);
    const discovery = (await send(`${serve.url}/.well-known/oauth-authorization-server`)).json();
    assert.equal(discovery.issuer, serve.url);
    await stopCleanly(serve, 'SIGTERM');
  });

  it('exits with status 0 on SIGINT', async () => {
    const { cwd, db } = workspace();
    const serve = await startServe(['--port', '0', '--db', db], { cwd });
    assert.equal((await send(`${serve.url}/healthz`)).status, 200);
    await stopCleanly(serve, 'SIGINT');
  });

  it('handles SIGTERM sent as soon as the URL line is out', async () => {
    // A supervisor may stop the server the moment it reports itself up. The race is won or
    // lost within microseconds, so try a few times; each try must exit with status 0.
    const { cwd, db } = workspace();
    for (let attempt = 1; attempt <= 5; attempt++) {
      const serve = await startServe(['--port', '0', '--db', db], { cwd, signalOnUrl: 'SIGTERM' });
      const exit = await serve.exit();
      assert.deepEqual(
        exit,
        { code: 0, signal: null },
        `attempt ${attempt}: SIGTERM right after the URL line killed the server instead of stopping it`,
      );
    }
  });

  it('exits with status 0 on SIGTERM while a client holds an idle keep-alive connection', async () => {
    const { cwd, db } = workspace();
    const serve = await startServe(['--port', '0', '--db', db], { cwd });
    const agent = new Agent({ keepAlive: true });
    try {
      const status = await within(
        new Promise<number>((resolve, reject) => {
          request(`${serve.url}/healthz`, { agent }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          })
            .on('error', reject)
            .end();
        }),
        'healthz over keep-alive',
      );
      assert.equal(status, 200);
      // The connection now idles in the agent's pool, far from its keep-alive timeout.
      await stopCleanly(serve, 'SIGTERM');
    } finally {
      agent.destroy();
    }
  });

  it('finishes a request in flight when SIGTERM arrives, then exits 0', async () => {
    const { cwd, db } = workspace();
    const client = await createClient(cwd, db);
    const serve = await startServe(['--port', '0', '--db', db], { cwd });
    const port = Number(new URL(serve.url).port);
    const body = 'grant_type=client_credentials';
    const socket = connect(port, '127.0.0.1');
    try {
      await within(once(socket, 'connect'), 'connect');
      let received = '';
      let closed = false;
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        received += chunk;
      });
      socket.on('close', () => {
        closed = true;
      });
      socket.on('error', () => {});
      // Expect: 100-continue makes the server say when it holds the request's headers.
      socket.write(
        [
          'POST /token HTTP/1.1',
          `Host: 127.0.0.1:${port}`,
          `Authorization: ${basic(client.id, client.secret)}`,
          'Content-Type: application/x-www-form-urlencoded',
          `Content-Length: ${body.length}`,
          'Expect: 100-continue',
          '',
          '',
        ].join('\r\n'),
      );
      await waitUntil(() => /^HTTP\/1\.1 100 /.test(received), 'the server took the request headers');
      socket.write(body.slice(0, 11));
      serve.child.kill('SIGTERM');
      // The server is shutting down once it stops accepting new connections.
      await waitUntil(async () => !(await canConnect(port)), 'the server stopped listening after SIGTERM');
      socket.write(body.slice(11));
      const response = await (async () => {
        await waitUntil(() => closed || completeResponse(received) !== null, 'a complete response');
        return completeResponse(received);
      })();
      assert.ok(response, `the response in flight was cut short: ${JSON.stringify(received)}`);
      assert.equal(response.status, 200, response.body);
      assert.equal(typeof JSON.parse(response.body).access_token, 'string');
      // The client keeps its connection, as HTTP/1.1 clients do: the server must end it.
      const exit = await serve.exit().catch((error: Error) => {
        assert.fail(
          `the server did not exit after finishing the request in flight; its response said ` +
            `connection: ${response.connection}, and the connection was ${closed ? 'closed' : 'still open'}. ${error.message}`,
        );
      });
      assert.deepEqual(exit, { code: 0, signal: null }, serve.stderr());
    } finally {
      socket.destroy();
    }
  });
});

/** The final response in raw HTTP/1.1 text (after any 100 Continue), once its body is complete. */
function completeResponse(raw: string): { status: number; connection: string; body: string } | null {
  const text = raw.replace(/^HTTP\/1\.1 100 [^\r\n]*\r\n\r\n/, '');
  const end = text.indexOf('\r\n\r\n');
  if (end === -1) return null;
  const head = text.slice(0, end);
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
  const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1]);
  if (!Number.isInteger(status) || !Number.isInteger(length)) return null;
  const body = text.slice(end + 4);
  const connection = /\r\nconnection: *([^\r]*)/i.exec(head)?.[1] ?? '(none)';
  return Buffer.byteLength(body) >= length ? { status, connection, body } : null;
}

describe('tessera serve: settings are checked at start-up, one line per bad setting', {
  concurrency: 2,
}, () => {
  const cases: [title: string, args: string[], mentions: RegExp][] = [
    ['a port that is not a number', ['--port', 'eighty'], /port/],
    ['a port out of range', ['--port', '70000'], /port/],
    ['an unknown log level', ['--log-level', 'loud'], /log/i],
    ['--tls-cert without --tls-key', ['--tls-cert', 'cert.pem'], /tls-key/],
    ['--tls-key without --tls-cert', ['--tls-key', 'key.pem'], /tls-cert/],
    ['an http issuer on a non-loopback host', ['--issuer', 'http://auth.example.com'], /issuer/],
    ['an issuer that is not a URL', ['--issuer', 'auth.example.com'], /issuer/],
    ['an issuer with a query', ['--issuer', 'https://auth.example.com/?tenant=a'], /issuer/],
    ['--host 0.0.0.0 without --issuer', ['--host', '0.0.0.0'], /issuer/],
    ['a non-loopback host over plain http without --issuer', ['--host', '192.0.2.10'], /issuer|https|TLS/],
    ['an unknown flag', ['--prot', '8080'], /--prot/],
  ];
  for (const [title, args, mentions] of cases) {
    it(`refuses ${title}`, async () => {
      const { cwd, db } = workspace();
      const [line] = refusal(await serveRefused(['--port', '0', '--db', db, ...args], { cwd }));
      assert.match(line ?? '', mentions);
    });
  }

  it('names every bad setting, one line each', async () => {
    const { cwd, db } = workspace();
    const lines = refusal(
      await serveRefused(['--db', db, '--port', '99999', '--log-level', 'chatty', '--tls-cert', 'c.pem'], {
        cwd,
      }),
      3,
    );
    assert.ok(lines.some((line) => /port/.test(line)));
    assert.ok(lines.some((line) => /log/i.test(line)));
    assert.ok(lines.some((line) => /tls/.test(line)));
  });

  it('names each TLS file it cannot read', async () => {
    const { cwd, db } = workspace();
    const lines = refusal(
      await serveRefused(
        ['--port', '0', '--db', db, '--tls-cert', 'missing-cert.pem', '--tls-key', 'missing-key.pem'],
        {
          cwd,
        },
      ),
      2,
    );
    assert.match(lines.join('\n'), /missing-cert\.pem/);
    assert.match(lines.join('\n'), /missing-key\.pem/);
  });

  it('refuses a port already in use, with one line', async () => {
    const { cwd, db } = workspace();
    const holder = createServer();
    await within(new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve)), 'listen');
    try {
      const address = holder.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      const [line] = refusal(await serveRefused(['--port', String(port), '--db', db], { cwd }));
      assert.match(line ?? '', new RegExp(`${port}|in use`));
    } finally {
      holder.close();
    }
  });

  it('serves an http issuer on a non-loopback host with TESSERA_ALLOW_INSECURE_HTTP_ISSUER=true', async () => {
    const { cwd, db } = workspace();
    const args = ['--port', '0', '--db', db, '--issuer', 'http://auth.example.com'];
    const serve = await startServe(args, { cwd, env: { TESSERA_ALLOW_INSECURE_HTTP_ISSUER: 'true' } });
    const discovery = (await send(`${serve.url}/.well-known/oauth-authorization-server`)).json();
    assert.equal(discovery.issuer, 'http://auth.example.com');
    await stopCleanly(serve);
  });

  it('reads a JSON config file (--config); env overrides it, and flags override both', async () => {
    const { cwd } = workspace();
    const file = join(cwd, 'tessera.json');
    writeFileSync(
      file,
      JSON.stringify({
        db: `sqlite:${join(cwd, 'from-file.db')}`,
        port: 0,
        issuer: 'http://127.0.0.1:1/from-file',
        logLevel: 'warn',
      }),
    );
    const issuerOf = async (url: string) =>
      (await send(`${url}/.well-known/oauth-authorization-server`)).json().issuer;
    const infoLogged = (serve: ServeProcess) => /"level":30/.test(serve.stdout());

    const fromFile = await startServe(['--config', file], { cwd });
    assert.equal(await issuerOf(fromFile.url), 'http://127.0.0.1:1/from-file');
    assert.ok(existsSync(join(cwd, 'from-file.db')), 'the database named in the file is used');
    assert.ok(!infoLogged(fromFile), 'logLevel warn from the file: no info lines');
    await stopCleanly(fromFile);

    const fromEnv = await startServe(['--config', file], {
      cwd,
      env: { TESSERA_ISSUER: 'http://127.0.0.1:1/from-env' },
    });
    assert.equal(await issuerOf(fromEnv.url), 'http://127.0.0.1:1/from-env');
    await stopCleanly(fromEnv);

    const fromFlags = await startServe(
      ['--config', file, '--issuer', 'http://127.0.0.1:1/from-flag', '--log-level', 'info'],
      { cwd, env: { TESSERA_ISSUER: 'http://127.0.0.1:1/from-env' } },
    );
    assert.equal(await issuerOf(fromFlags.url), 'http://127.0.0.1:1/from-flag');
    assert.ok(infoLogged(fromFlags), '--log-level info overrides the file');
    await stopCleanly(fromFlags);
  });

  it('refuses a config file that is missing, not JSON, or holds an unknown or bad setting', async () => {
    const { cwd, db } = workspace();
    const write = (name: string, text: string) => {
      writeFileSync(join(cwd, name), text);
      return join(cwd, name);
    };
    const cases: [file: string, mentions: RegExp][] = [
      [join(cwd, 'absent.json'), /absent\.json/],
      [write('broken.json', '{"port": 0,'), /broken\.json/],
      [write('unknown.json', '{"prot": 8080}'), /prot/],
      [write('bad-level.json', '{"logLevel": "loud"}'), /log/i],
    ];
    for (const [file, mentions] of cases) {
      const [line] = refusal(await serveRefused(['--port', '0', '--db', db, '--config', file], { cwd }));
      assert.match(line ?? '', mentions);
    }
  });
});

describe('tessera serve: HTTPS', () => {
  it('serves HTTPS with --tls-cert and --tls-key, and its issuer is https://', async () => {
    const { cwd, db } = workspace();
    const cert = join(cwd, 'cert.pem');
    const key = join(cwd, 'key.pem');
    const openssl = await runCommand(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '2',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { cwd },
    );
    assert.equal(openssl.code, 0, openssl.stderr);
    const ca = readFileSync(cert);

    const serve = await startServe(['--port', '0', '--db', db, '--tls-cert', cert, '--tls-key', key], {
      cwd,
    });
    assert.match(serve.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const discovery = await send(`${serve.url}/.well-known/oauth-authorization-server`, { ca });
    assert.equal(discovery.status, 200);
    const metadata = discovery.json();
    assert.equal(metadata.issuer, serve.url);
    assert.match(String(metadata.token_endpoint), /^https:\/\//);
    assert.equal((await send(`${serve.url}/healthz`, { ca })).status, 200);
    // It is TLS indeed: without the certificate as a trust anchor the connection is refused.
    await assert.rejects(send(`${serve.url}/healthz`));
    await stopCleanly(serve, 'SIGTERM', ca);
  });
});

describe('tessera serve: the master key', { concurrency: 2 }, () => {
  it('is created on first start as master.key, mode 0600, beside the SQLite file, and kept', async () => {
    const cwd = dirs.make();
    const db = `sqlite:${join(cwd, 'data', 't.db')}`;
    const keyFile = join(cwd, 'data', 'master.key');
    const first = await startServe(['--port', '0', '--db', db], { cwd });
    assert.ok(existsSync(keyFile), 'master.key beside the database');
    assert.equal(mode(keyFile).toString(8), '600');
    assert.ok(!existsSync(join(cwd, '.tessera')), 'nothing in ./.tessera when the database is elsewhere');
    const key = readFileSync(keyFile, 'utf8');
    await stopCleanly(first);
    const second = await startServe(['--port', '0', '--db', db], { cwd });
    assert.equal(readFileSync(keyFile, 'utf8'), key, 'a restart keeps the key');
    await stopCleanly(second);
  });

  it('without --db, the database and a 0600 master.key go in ./.tessera', async () => {
    const cwd = dirs.make();
    const serve = await startServe(['--port', '0'], { cwd });
    assert.ok(existsSync(join(cwd, '.tessera', 'tessera.db')));
    assert.equal(mode(join(cwd, '.tessera', 'master.key')).toString(8), '600');
    await stopCleanly(serve);
  });

  for (const loose of [0o644, 0o640]) {
    it(`refuses to start when the key file has mode ${loose.toString(8)}, telling to chmod 600`, async () => {
      const { cwd, db } = workspace();
      jsonResult(await runTessera(['keys', 'list', '--json', '--db', db], { cwd }));
      const keyFile = join(cwd, 'master.key');
      chmodSync(keyFile, loose);
      const [line] = refusal(await serveRefused(['--port', '0', '--db', db], { cwd }));
      assert.match(line ?? '', /chmod 600/);
      assert.ok(line?.includes(keyFile), `the line names the file: ${line}`);
      assert.ok(!line?.includes(readFileSync(keyFile, 'utf8').trim()), 'the key itself is not shown');
    });
  }

  it('uses TESSERA_MASTER_KEY instead of a file when it is set', async () => {
    const { cwd, db } = workspace();
    const env = { TESSERA_MASTER_KEY: newMasterKey() };
    const client = await createClient(cwd, db, [], env);
    const serve = await startServe(['--port', '0', '--db', db], { cwd, env });
    const token = await postForm(`${serve.url}/token`, { grant_type: CC }, client);
    assert.equal(token.status, 200, token.body);
    assert.ok(!existsSync(join(cwd, 'master.key')), 'no key file beside the database');
    assert.ok(!existsSync(join(cwd, '.tessera')), 'no key file in ./.tessera');
    await stopCleanly(serve);
    // The state is sealed under that key: another one cannot open it.
    const other = refusal(
      await serveRefused(['--port', '0', '--db', db], { cwd, env: { TESSERA_MASTER_KEY: newMasterKey() } }),
    );
    assert.match(other[0] ?? '', /master key/i);
  });

  it('refuses a malformed TESSERA_MASTER_KEY with a clear line that does not show it', async () => {
    const { cwd, db } = workspace();
    const key = newMasterKey();
    for (const malformed of [
      'not-a-key',
      `${key}A`,
      `${key.slice(0, 42)}+`,
      Buffer.from(randomBytes(32)).toString('base64'),
      randomBytes(16).toString('base64url'),
    ]) {
      const [line] = refusal(
        await serveRefused(['--port', '0', '--db', db], { cwd, env: { TESSERA_MASTER_KEY: malformed } }),
      );
      assert.match(line ?? '', /TESSERA_MASTER_KEY/);
      assert.ok(!line?.includes(malformed), `the value is shown: ${line}`);
    }
    assert.ok(!existsSync(join(cwd, 'master.key')), 'no key file was made instead');
  });
});

const admin = postgresAdminUrl();
describe('tessera serve: readiness follows the store (PostgreSQL)', {
  skip: 'skip' in admin ? admin.skip : false,
}, () => {
  it('/readyz answers 503 while the database refuses connections, and 200 once it answers again', async () => {
    if (!('url' in admin)) return;
    const cwd = dirs.make();
    const name = `tessera_test_${randomBytes(6).toString('hex')}`;
    const control = new pg.Client({ connectionString: admin.url });
    await control.connect();
    let serve: ServeProcess | undefined;
    try {
      await control.query(`CREATE DATABASE ${name}`);
      const url = new URL(admin.url);
      url.pathname = `/${name}`;
      const started = await startServe(['--port', '0', '--db', url.toString()], { cwd });
      serve = started;
      const status = async (path: string) => (await send(`${started.url}${path}`)).status;
      assert.equal(await status('/readyz'), 200);

      await control.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
      await control.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [
        name,
      ]);
      await waitUntil(async () => (await status('/readyz')) === 503, '/readyz answers 503');
      assert.equal(await status('/healthz'), 200, 'the process lives on');

      await control.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
      await waitUntil(async () => (await status('/readyz')) === 200, '/readyz answers 200 again');
      await stopCleanly(started);
    } finally {
      if (serve !== undefined && serve.child.exitCode === null && serve.child.signalCode === null) {
        serve.child.kill('SIGKILL');
        await serve.exited;
      }
      await control.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await control.end();
    }
  });
});

describeEachDatabase('tessera serve: durability', (database) => {
  it('an opaque token the server answered 200 for is still active after SIGKILL and restart', async () => {
    const cwd = dirs.make();
    const { url: db, drop } = await database.create(cwd);
    const serves: StartedServe[] = [];
    try {
      const client = await createClient(cwd, db, ['--token-format', 'opaque']);
      const first = await startServe(['--port', '0', '--db', db], { cwd });
      serves.push(first);
      const issued = await postForm(`${first.url}/token`, { grant_type: CC }, client);
      assert.equal(issued.status, 200, issued.body);
      const token = String(issued.json().access_token);
      assert.notEqual(token.split('.').length, 3, 'an opaque token, not a JWT');

      first.child.kill('SIGKILL');
      assert.equal((await first.exit()).signal, 'SIGKILL');

      const second = await startServe(['--port', '0', '--db', db], { cwd });
      serves.push(second);
      const introspection = await postForm(`${second.url}/introspect`, { token }, client);
      assert.equal(introspection.status, 200, introspection.body);
      const claims = introspection.json();
      assert.equal(claims.active, true, 'the token survived the crash');
      assert.equal(claims.client_id, client.id);
      await stopCleanly(second);
    } finally {
      for (const serve of serves) {
        if (serve.child.exitCode === null && serve.child.signalCode === null) {
          serve.child.kill('SIGKILL');
          await serve.exited;
        }
      }
      await drop();
    }
  });
});
