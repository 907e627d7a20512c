/**
 * `tessera gateway` as an operator runs it (the built bin, `npx tsc -b` first): start-up
 * errors for bad configs, one line per problem; start, serve, stop on a signal; HTTPS.
 */
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cleanEnv, runCommand, runTessera, TESSERA_BIN, tempDirs } from '../cli/run-tessera.js';
import { type EchoUpstream, headerValues, json, send, startEchoUpstream } from './gateway-harness.js';

/** Bound for a child to print its URL or to exit; only a hang comes near it. */
const WAIT_MS = 20_000;

const GOOD = {
  listen: { host: '127.0.0.1', port: 0 },
  issuer: 'http://127.0.0.1:8080',
  audience: 'billing-api',
  upstream: 'http://127.0.0.1:9000',
  routes: [{ method: 'GET', path: '/public/health', public: true }],
};
const PROTECTED = { method: 'GET', path: '/v1/charges', scopes: ['charges:read'] };
const CREDENTIALS = { client_id: 'cli_x', client_secret: 'tcs_y' };

describe('tessera gateway: start-up', () => {
  const dirs = tempDirs('tessera-gateway-');
  const children = new Set<ChildProcessWithoutNullStreams>();
  let dir: string;
  let upstream: EchoUpstream;

  before(async () => {
    dir = dirs.make();
    upstream = await startEchoUpstream();
  });
  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    await upstream?.close();
    dirs.cleanup();
  });

  let files = 0;
  const configFile = (config: unknown): string => {
    const file = join(dir, `gateway-${files++}.json`);
    writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config));
    return file;
  };

  /** Runs `tessera gateway` on a bad config: a non-zero exit, nothing on stdout, `tessera:` lines on stderr. */
  async function problems(config: unknown, extra: string[] = []): Promise<string[]> {
    const run = await runTessera(['gateway', '--config', configFile(config), ...extra], { cwd: dir });
    assert.notEqual(run.code, 0, `expected a failure; stdout: ${run.stdout}`);
    assert.equal(run.signal, null);
    assert.equal(run.stdout, '');
    const lines = run.stderr.split('\n').filter((line) => line !== '');
    assert.ok(lines.length > 0);
    for (const line of lines) assert.match(line, /^tessera: \S/);
    return lines;
  }
  async function oneProblem(config: unknown, pattern: RegExp): Promise<void> {
    const lines = await problems(config);
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0] ?? '', pattern);
  }

  it('refuses unknown members, at every level', async () => {
    await oneProblem({ ...GOOD, extra: 1 }, /unknown member "extra"/);
    await oneProblem(
      { ...GOOD, listen: { host: '127.0.0.1', port: 0, tls: true } },
      /listen: unknown member "tls"/,
    );
    await oneProblem(
      { ...GOOD, routes: [{ method: 'GET', path: '/x', public: true, scope: ['a'] }] },
      /routes\[0\]: unknown member "scope"/,
    );
  });

  it('refuses wrong types', async () => {
    await oneProblem({ ...GOOD, listen: { port: '8081' } }, /listen\.port: must be a whole number/);
    await oneProblem({ ...GOOD, audience: 5 }, /audience: must be a non-empty string/);
    await oneProblem({ ...GOOD, routes: {} }, /routes: must be an array/);
    await oneProblem(
      { ...GOOD, routes: [{ method: 'GET', path: '/x', public: 'yes' }] },
      /routes\[0\]\.public: must be true or false/,
    );
    await oneProblem(
      { ...GOOD, routes: [{ ...PROTECTED, scopes: 'charges:read' }], credentials: CREDENTIALS },
      /routes\[0\]\.scopes: must be an array/,
    );
    await oneProblem('[1]', /must be a JSON object/);
    await oneProblem('{"issuer":', /not JSON/);
  });

  it('refuses an http issuer off loopback, and an upstream that is not an http(s) URL', async () => {
    await oneProblem({ ...GOOD, issuer: 'http://auth.example.com' }, /issuer: .*must be https/);
    await oneProblem({ ...GOOD, issuer: 'not a url' }, /issuer: must be an absolute URL/);
    await oneProblem(
      { ...GOOD, upstream: 'ftp://127.0.0.1:9000' },
      /upstream: must be an http:\/\/ or https:\/\/ URL/,
    );
    await oneProblem(
      { ...GOOD, upstream: '127.0.0.1:9000' },
      /upstream: must be an http:\/\/ or https:\/\/ URL/,
    );
    await oneProblem({ ...GOOD, upstream: 'http://127.0.0.1:9000/api' }, /upstream: must be an origin/);
    // https anywhere, http on loopback: fine (checked by the start-up test below).
  });

  it('refuses bad routes', async () => {
    const route = (entry: Record<string, unknown>) => ({
      ...GOOD,
      routes: [entry],
      credentials: CREDENTIALS,
    });
    await oneProblem(
      route({ ...PROTECTED, method: 'get' }),
      /routes\[0\]\.method: must be an HTTP method in upper case/,
    );
    await oneProblem(route({ ...PROTECTED, method: 'GET POST' }), /routes\[0\]\.method/);
    await oneProblem(
      route({ ...PROTECTED, path: 'v1/charges' }),
      /routes\[0\]\.path: must be a string starting with "\/"/,
    );
    await oneProblem(
      route({ ...PROTECTED, path: '/v1/charges?x=1' }),
      /routes\[0\]\.path: must have no query/,
    );
    await oneProblem(
      route({ ...PROTECTED, scopes: ['charges read'] }),
      /routes\[0\]\.scopes\[0\]: must be one scope token/,
    );
    await oneProblem(route({ ...PROTECTED, scopes: [7] }), /routes\[0\]\.scopes\[0\]/);
    await oneProblem(route({ ...PROTECTED, public: true }), /routes\[0\]: a public route takes no scopes/);
    await oneProblem(
      { ...GOOD, routes: [PROTECTED, { ...PROTECTED, scopes: [] }], credentials: CREDENTIALS },
      /routes\[1\]: GET \/v1\/charges is already routed/,
    );
    await oneProblem({ ...GOOD, routes: [] }, /routes: must list at least one route/);
  });

  it('refuses unknown and repeated schemes, sigv4 without its scope and mtls without a client CA', async () => {
    await oneProblem({ ...GOOD, schemes: ['bearer', 'sigv4'] }, /sigv4: the sigv4 scheme needs/);
    await oneProblem({ ...GOOD, schemes: ['dpop', 'dpop'] }, /schemes\[1\]: "dpop" is listed twice/);
    await oneProblem({ ...GOOD, schemes: ['mtls'] }, /schemes: the mtls scheme needs tls\.client_ca/);
    await oneProblem({ ...GOOD, schemes: ['basic'] }, /schemes\[0\]: unknown scheme "basic"/);
    await oneProblem({ ...GOOD, schemes: [] }, /schemes: must be a non-empty array/);
  });

  it('requires credentials when a route is not public', async () => {
    await oneProblem({ ...GOOD, routes: [PROTECTED] }, /credentials: required when a route is not public/);
    await oneProblem(
      { ...GOOD, routes: [PROTECTED], credentials: { client_id: 'x' } },
      /credentials\.client_secret: required/,
    );
  });

  it('reports every problem at once, one line each', async () => {
    const lines = await problems({
      ...GOOD,
      issuer: 'http://auth.example.com',
      upstream: 'nope',
      schemes: ['basic'],
      routes: [{ method: 'get', path: 'x' }],
    });
    assert.equal(lines.length, 5, lines.join('\n'));
  });

  it('refuses a missing or unreadable config file and bad flags with one line', async () => {
    const missing = await runTessera(['gateway', '--config', join(dir, 'nope.json')], { cwd: dir });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^tessera: config file .*nope\.json: cannot be read \(ENOENT\)\n$/);
    const noConfig = await runTessera(['gateway'], { cwd: dir });
    assert.equal(noConfig.code, 2);
    assert.match(noConfig.stderr, /^tessera: --config is required\n$/);
    const badPort = await runTessera(['gateway', '--config', configFile(GOOD), '--port', '70000'], {
      cwd: dir,
    });
    assert.equal(badPort.code, 2);
    assert.match(badPort.stderr, /^tessera: --port must be a whole number from 0 to 65535\n$/);
  });

  it('refuses to start when the issuer cannot be reached', async () => {
    const closedPort = await freePort();
    const run = await runTessera(
      [
        'gateway',
        '--config',
        configFile({
          ...GOOD,
          issuer: `http://127.0.0.1:${closedPort}`,
          routes: [PROTECTED],
          credentials: CREDENTIALS,
        }),
      ],
      { cwd: dir },
    );
    assert.equal(run.code, 1, run.stderr);
    const lines = run.stderr.split('\n').filter((line) => line !== '' && !line.startsWith('{'));
    assert.equal(lines.length, 1, run.stderr);
    assert.match(
      lines[0] ?? '',
      new RegExp(
        `^tessera: cannot start the gateway: the issuer http://127\\.0\\.0\\.1:${closedPort} is not usable`,
      ),
    );
  });

  /** Starts `tessera gateway args…` and resolves with its URL once it prints it. */
  function startGatewayProcess(
    args: string[],
  ): Promise<{ child: ChildProcessWithoutNullStreams; url: string; exit: Promise<number | null> }> {
    const child = spawn(process.execPath, [TESSERA_BIN, 'gateway', ...args], { cwd: dir, env: cleanEnv() });
    children.add(child);
    const exit = new Promise<number | null>((resolve) =>
      child.once('close', (code) => {
        children.delete(child);
        resolve(code);
      }),
    );
    let output = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL within ${WAIT_MS} ms: ${output}`)), WAIT_MS);
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        output += chunk;
        const match = /^Tessera gateway listening on (\S+)$/m.exec(output);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve({ child, url: match[1], exit });
        }
      });
      void exit.then((code) => {
        clearTimeout(timer);
        reject(new Error(`exited ${code} before printing its URL: ${output}`));
      });
    });
  }

  it('starts, prints its URL, forwards, and exits 0 on SIGTERM; --port overrides listen.port', async () => {
    const port = await freePort();
    const file = configFile({ ...GOOD, listen: { host: '127.0.0.1', port: 1 }, upstream: upstream.url });
    const gateway = await startGatewayProcess(['--config', file, '--port', String(port)]);
    assert.equal(gateway.url, `http://127.0.0.1:${port}`);
    const response = await send(gateway.url, { path: '/public/health', headers: ['X-Auth-Subject', 'x'] });
    assert.equal(response.status, 200);
    assert.deepEqual(headerValues(json(response).rawHeaders, 'x-auth-subject'), []);
    gateway.child.kill('SIGTERM');
    assert.equal(await gateway.exit, 0);
  });

  it('exits 0 on SIGINT too', async () => {
    const gateway = await startGatewayProcess(['--config', configFile({ ...GOOD, upstream: upstream.url })]);
    gateway.child.kill('SIGINT');
    assert.equal(await gateway.exit, 0);
  });

  it('listens on HTTPS when tls is given, requesting (not requiring) client certificates', async () => {
    const made = await runCommand(
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
        'key.pem',
        '-out',
        'cert.pem',
        '-days',
        '2',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { cwd: dir },
    );
    assert.equal(made.code, 0, made.stderr);
    const ca = readFileSync(join(dir, 'cert.pem'));
    // Relative paths are taken from the config file's directory.
    const file = configFile({
      ...GOOD,
      upstream: upstream.url,
      tls: { cert: 'cert.pem', key: 'key.pem', client_ca: 'cert.pem' },
    });
    const gateway = await startGatewayProcess(['--config', file]);
    assert.match(gateway.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const response = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpsRequest(`${gateway.url}/public/health`, { ca }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(response.status, 200);
    assert.deepEqual(headerValues(JSON.parse(response.body).rawHeaders, 'x-forwarded-proto'), ['https']);
    const missingKey = await problems({ ...GOOD, tls: { cert: 'cert.pem', key: 'absent.pem' } });
    assert.match(missingKey.join('\n'), /tls\.key: cannot read absent\.pem \(ENOENT\)/);
    gateway.child.kill('SIGTERM');
    assert.equal(await gateway.exit, 0);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
