import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  ConfigError,
  DEFAULT_SETTINGS,
  issuerFor,
  masterKeyFile,
  type RawSettings,
  resolveServerConfig,
  type ServerConfig,
  settingsFromEnv,
  settingsFromFile,
} from './server-config.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const cwd = join(dir, 'work');
const certFile = join(dir, 'cert.pem');
const keyFile = join(dir, 'key.pem');
writeFileSync(certFile, 'CERT');
writeFileSync(keyFile, 'KEY');

let files = 0;
function configFile(text: string): string {
  const file = join(dir, `config-${++files}.json`);
  writeFileSync(file, text);
  return file;
}

/** The problems `resolveServerConfig` reports for `raw`, or [] when it accepts it. */
function problemsOf(raw: RawSettings, env: NodeJS.ProcessEnv = {}): readonly string[] {
  try {
    resolveServerConfig(raw, cwd, env);
    return [];
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    assert.equal(error.message, error.problems.join('\n'));
    return error.problems;
  }
}

const resolved = (raw: RawSettings, env: NodeJS.ProcessEnv = {}): ServerConfig =>
  resolveServerConfig(raw, cwd, env);

describe('resolveServerConfig defaults', () => {
  it('serves SQLite under ./.tessera of the working directory, on 127.0.0.1:8080', () => {
    const config = resolved({});
    assert.deepEqual(config.database, { dialect: 'sqlite', path: resolve(cwd, '.tessera', 'tessera.db') });
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.port, 8080);
    assert.equal(config.issuer, undefined);
    assert.equal(config.tls, undefined);
    assert.equal(config.allowInsecureHttpIssuer, false);
    assert.equal(config.logLevel, 'info');
    assert.equal(config.bodyLimit, DEFAULT_SETTINGS.bodyLimit);
    assert.deepEqual(config.masterKey, { fromEnv: undefined, file: resolve(cwd, '.tessera', 'master.key') });
  });

  it('takes the master key variable from the env it is given', () => {
    assert.equal(resolved({}, { TESSERA_MASTER_KEY: 'k' }).masterKey.fromEnv, 'k');
  });

  it('accepts string and number forms of numbers and booleans', () => {
    const config = resolved({
      port: '9000',
      bodyLimit: '2048',
      allowInsecureHttpIssuer: '1',
      host: 'as.internal',
    });
    assert.equal(config.port, 9000);
    assert.equal(config.bodyLimit, 2048);
    assert.equal(config.allowInsecureHttpIssuer, true);
    assert.equal(resolved({ port: 0 }).port, 0);
    assert.equal(resolved({ port: 65535 }).port, 65535);
    assert.equal(resolved({ allowInsecureHttpIssuer: 'false' }).allowInsecureHttpIssuer, false);
    assert.equal(resolved({ allowInsecureHttpIssuer: '0' }).allowInsecureHttpIssuer, false);
  });
});

describe('resolveServerConfig problems', () => {
  /** One bad setting each (the others left valid), and the name its line must start with. */
  const BAD: readonly [string, RawSettings][] = [
    ['db', { db: 'mysql://localhost/tessera' }],
    ['db', { db: 'sqlite:' }],
    ['db', { db: '' }],
    ['port', { port: '70000' }],
    ['port', { port: -1 }],
    ['port', { port: '80.5' }],
    ['port', { port: 'http' }],
    ['port', { port: '' }],
    ['port', { port: ' ' }],
    ['host', { host: '' }],
    ['host', { host: 'my host' }],
    ['host', { host: 'example.com/path' }],
    ['allowInsecureHttpIssuer', { allowInsecureHttpIssuer: 'yes' }],
    ['logLevel', { logLevel: 'verbose' }],
    ['logLevel', { logLevel: 'INFO' }],
    ['bodyLimit', { bodyLimit: 1023 }],
    ['bodyLimit', { bodyLimit: 1024 * 1024 + 1 }],
    ['bodyLimit', { bodyLimit: '2k' }],
    ['tls', { tlsCert: certFile }],
    ['tls', { tlsKey: keyFile }],
    ['tls-cert', { tlsCert: join(dir, 'missing.pem'), tlsKey: keyFile }],
    ['tls-key', { tlsCert: certFile, tlsKey: join(dir, 'missing.pem') }],
    ['issuer', { issuer: 'not a url' }],
    ['issuer', { issuer: 'ftp://as.example' }],
    ['issuer', { issuer: 'https://as.example?tenant=1' }],
    ['issuer', { host: '0.0.0.0' }],
  ];

  for (const [name, raw] of BAD) {
    it(`${JSON.stringify(raw)} gives exactly one problem line, naming ${name}`, () => {
      const problems = problemsOf(raw);
      assert.equal(problems.length, 1, problems.join('\n'));
      assert.ok(problems[0]?.startsWith(`${name}: `), problems[0]);
    });
  }

  it('reports several bad settings at once, one line for each', () => {
    const problems = problemsOf({
      db: 'mysql://localhost/tessera',
      port: '70000',
      host: 'my host',
      allowInsecureHttpIssuer: 'maybe',
      logLevel: 'loud',
      bodyLimit: 1,
      tlsCert: certFile,
    });
    const names = problems.map((line) => line.slice(0, line.indexOf(':')));
    assert.deepEqual(
      names.sort(),
      ['allowInsecureHttpIssuer', 'bodyLimit', 'db', 'host', 'logLevel', 'port', 'tls'],
      problems.join('\n'),
    );
  });

  it('refuses values a JSON config file may hold that are not numbers, rather than coercing them', () => {
    for (const port of [true, [8080], {}, null] as unknown[]) {
      const problems = problemsOf({ port } as RawSettings);
      assert.equal(problems.length, 1, `port ${JSON.stringify(port)} was accepted`);
      assert.ok(problems[0]?.startsWith('port: '));
    }
  });

  it('never echoes a password written in a malformed database URL', () => {
    const password = 'hunter2-s3cret';
    for (const db of [`mysql://root:${password}@db/tessera`, `postgres:/root:${password}@db/tessera`]) {
      const problems = problemsOf({ db });
      assert.equal(problems.length, 1);
      assert.ok(!problems.join('\n').includes(password), problems.join('\n'));
    }
  });
});

describe('resolveServerConfig issuer', () => {
  it('accepts http on a loopback host, without the insecure switch', () => {
    for (const issuer of [
      'http://127.0.0.1:8080',
      'http://127.9.9.9',
      'http://localhost:3000',
      'http://[::1]:8080',
    ]) {
      assert.equal(resolved({ issuer }).issuer, issuer);
    }
  });

  it('refuses http on any other host unless allowInsecureHttpIssuer is set', () => {
    for (const issuer of [
      'http://as.example',
      'http://10.0.0.1:8080',
      'http://128.0.0.1',
      'http://localhost.as.example',
      'http://127.0.0.1.nip.io',
      'http://[::2]',
    ]) {
      const problems = problemsOf({ issuer });
      assert.equal(problems.length, 1, `${issuer}: ${problems.join('\n')}`);
      assert.match(problems[0] ?? '', /^issuer: .*non-loopback/);
      assert.equal(resolved({ issuer, allowInsecureHttpIssuer: true }).issuer, issuer);
      assert.equal(resolved({ issuer, allowInsecureHttpIssuer: 'true' }).issuer, issuer);
    }
  });

  it('refuses a query or a fragment, even an empty one', () => {
    for (const issuer of [
      'https://as.example?x=1',
      'https://as.example/?',
      'https://as.example#top',
      'https://as.example/#',
      'https://as.example/t?',
    ]) {
      assert.deepEqual(problemsOf({ issuer }), ['issuer: must have no query or fragment (RFC 8414)'], issuer);
    }
  });

  it('strips trailing slashes', () => {
    assert.equal(resolved({ issuer: 'https://as.example/' }).issuer, 'https://as.example');
    assert.equal(resolved({ issuer: 'https://as.example/tenant/' }).issuer, 'https://as.example/tenant');
    assert.equal(resolved({ issuer: 'https://as.example/tenant//' }).issuer, 'https://as.example/tenant');
    assert.equal(resolved({ issuer: 'https://as.example/tenant' }).issuer, 'https://as.example/tenant');
  });

  it('needs an explicit issuer when listening on every interface', () => {
    for (const host of ['0.0.0.0', '::']) {
      const problems = problemsOf({ host });
      assert.equal(problems.length, 1);
      assert.match(problems[0] ?? '', /^issuer: .*--issuer/);
      assert.equal(resolved({ host, issuer: 'https://as.example' }).issuer, 'https://as.example');
    }
  });

  it('needs TLS, an issuer or the insecure switch to listen on a public host', () => {
    assert.equal(problemsOf({ host: 'as.example' }).length, 1);
    assert.deepEqual(problemsOf({ host: 'as.example', tlsCert: certFile, tlsKey: keyFile }), []);
    assert.deepEqual(problemsOf({ host: 'as.example', issuer: 'https://as.example' }), []);
    assert.deepEqual(problemsOf({ host: 'as.example', allowInsecureHttpIssuer: true }), []);
  });
});

describe('issuerFor', () => {
  it('returns the configured issuer whatever the port', () => {
    assert.equal(issuerFor(resolved({ issuer: 'https://as.example/' }), 1234), 'https://as.example');
  });

  it('derives http://host:port, or https:// with TLS', () => {
    assert.equal(issuerFor(resolved({ port: 0 }), 43210), 'http://127.0.0.1:43210');
    const tls = resolved({ host: 'as.example', tlsCert: certFile, tlsKey: keyFile });
    assert.deepEqual(tls.tls, { cert: Buffer.from('CERT'), key: Buffer.from('KEY') });
    assert.equal(issuerFor(tls, 8443), 'https://as.example:8443');
  });

  it('puts IPv6 hosts in brackets, once', () => {
    assert.equal(issuerFor(resolved({ host: '::1' }), 8080), 'http://[::1]:8080');
    assert.equal(issuerFor(resolved({ host: '[::1]' }), 8080), 'http://[::1]:8080');
    const derived = issuerFor(resolved({ host: '::1' }), 8080);
    assert.ok(URL.canParse(derived));
  });
});

describe('settingsFromEnv', () => {
  it('reads every TESSERA_* setting, and nothing else', () => {
    const env = {
      TESSERA_DB: 'sqlite:/data/t.db',
      TESSERA_HOST: '::1',
      TESSERA_PORT: '9000',
      TESSERA_ISSUER: 'https://as.example',
      TESSERA_TLS_CERT: '/c.pem',
      TESSERA_TLS_KEY: '/k.pem',
      TESSERA_ALLOW_INSECURE_HTTP_ISSUER: 'true',
      TESSERA_LOG_LEVEL: 'debug',
      TESSERA_BODY_LIMIT: '4096',
      TESSERA_MASTER_KEY: 'not a setting',
      TESSERA_UNKNOWN: 'x',
      PORT: '1',
    };
    assert.deepEqual(settingsFromEnv(env), {
      db: 'sqlite:/data/t.db',
      host: '::1',
      port: '9000',
      issuer: 'https://as.example',
      tlsCert: '/c.pem',
      tlsKey: '/k.pem',
      allowInsecureHttpIssuer: 'true',
      logLevel: 'debug',
      bodyLimit: '4096',
    });
  });

  it('treats an empty variable as unset', () => {
    assert.deepEqual(settingsFromEnv({ TESSERA_PORT: '', TESSERA_HOST: '' }), {});
    assert.deepEqual(settingsFromEnv({}), {});
  });
});

describe('settingsFromFile', () => {
  it('reads a JSON object of known settings', () => {
    const settings = { db: 'sqlite:./t.db', port: 9000, allowInsecureHttpIssuer: false, logLevel: 'warn' };
    assert.deepEqual(settingsFromFile(configFile(JSON.stringify(settings))), settings);
  });

  it('refuses anything but a JSON object', () => {
    for (const text of ['[]', '"sqlite:x"', '42', 'null', 'true']) {
      const file = configFile(text);
      assert.throws(
        () => settingsFromFile(file),
        (error: unknown) =>
          error instanceof ConfigError &&
          error.problems.length === 1 &&
          error.problems[0] === `config file ${file}: must be a JSON object`,
        text,
      );
    }
  });

  it('refuses a file that is not JSON, or is missing, with one line naming the file', () => {
    for (const file of [configFile('{ port: 1 }'), configFile(''), join(dir, 'missing.json')]) {
      assert.throws(
        () => settingsFromFile(file),
        (error: unknown) =>
          error instanceof ConfigError &&
          error.problems.length === 1 &&
          (error.problems[0] ?? '').startsWith(`config file ${file}: `),
      );
    }
  });

  it('refuses unknown settings, one line each', () => {
    const file = configFile(JSON.stringify({ port: 1, Port: 2, database: 'x', tls_cert: 'y' }));
    assert.throws(
      () => settingsFromFile(file),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.deepEqual(error.problems, [
          `config file ${file}: unknown setting Port`,
          `config file ${file}: unknown setting database`,
          `config file ${file}: unknown setting tls_cert`,
        ]);
        return true;
      },
    );
  });

  it('refuses names inherited from Object.prototype as unknown settings', () => {
    for (const name of ['constructor', 'toString', 'hasOwnProperty', 'valueOf', '__proto__']) {
      const file = configFile(`{"${name}": 1}`);
      assert.throws(
        () => settingsFromFile(file),
        (error: unknown) =>
          error instanceof ConfigError &&
          error.problems[0] === `config file ${file}: unknown setting ${name}`,
        `${name} was accepted as a setting`,
      );
    }
  });
});

describe('masterKeyFile', () => {
  it('sits beside the SQLite file', () => {
    assert.equal(
      masterKeyFile({ dialect: 'sqlite', path: '/srv/tessera/data/t.db' }, cwd),
      '/srv/tessera/data/master.key',
    );
    assert.equal(
      resolved({ db: 'sqlite:./var/state.db' }).masterKey.file,
      resolve(cwd, 'var', 'master.key'),
      'relative to the working directory, like the database',
    );
  });

  it('sits in ./.tessera of the working directory for PostgreSQL', () => {
    assert.equal(
      masterKeyFile({ dialect: 'postgres', url: 'postgres://db/t' }, cwd),
      resolve(cwd, '.tessera', 'master.key'),
    );
    assert.equal(
      resolved({ db: 'postgresql://u@db:5432/t' }).masterKey.file,
      resolve(cwd, '.tessera', 'master.key'),
    );
    assert.deepEqual(resolved({ db: 'postgres://u@db/t' }).database, {
      dialect: 'postgres',
      url: 'postgres://u@db/t',
    });
  });
});

describe('client certificates (mutual TLS)', () => {
  const caFile = join(dir, 'client-ca.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'].concat([
      '-keyout',
      join(dir, 'client-ca.key'),
      '-out',
      caFile,
      '-days',
      '1',
      '-subj',
      '/CN=Test CA',
    ]),
    { stdio: 'pipe' },
  );

  it('asks for client certificates with --tls-client-ca when serving TLS', () => {
    const config = resolved({ tlsCert: certFile, tlsKey: keyFile, tlsClientCa: caFile });
    assert.ok(config.clientCertificates?.ca.toString('utf8').includes('BEGIN CERTIFICATE'));
    assert.deepEqual(config.clientCertificates?.trustedProxies, []);
    assert.equal(resolved({}).clientCertificates, undefined);
  });

  it('takes them from trusted proxies behind a TLS-terminating proxy, from a list or env', () => {
    assert.deepEqual(
      resolved({ tlsClientCa: caFile, trustedProxies: ['10.0.0.5'] }).clientCertificates?.trustedProxies,
      ['10.0.0.5'],
    );
    const fromEnv = resolved(
      settingsFromEnv({ TESSERA_TLS_CLIENT_CA: caFile, TESSERA_TRUSTED_PROXIES: '10.0.0.5, ::1 10.0.0.6' }),
    );
    assert.deepEqual(fromEnv.clientCertificates?.trustedProxies, ['10.0.0.5', '::1', '10.0.0.6']);
  });

  it('says what is missing or wrong', () => {
    assert.match(
      problemsOf({ tlsClientCa: caFile }).join('\n'),
      /tls-client-ca: needs --tls-cert and --tls-key, or --trusted-proxy/,
    );
    // Without a client CA, trusted proxies still say who the client is (for throttling).
    assert.deepEqual(problemsOf({ trustedProxies: ['10.0.0.5'] }), []);
    assert.match(
      problemsOf({ tlsClientCa: caFile, trustedProxies: ['proxy.internal'] }).join('\n'),
      /trustedProxies: must be IP addresses/,
    );
    assert.match(
      problemsOf({ tlsClientCa: caFile, trustedProxies: 7 as never }).join('\n'),
      /trustedProxies: must be IP/,
    );
    assert.match(
      problemsOf({ tlsCert: certFile, tlsKey: keyFile, tlsClientCa: 7 as never }).join('\n'),
      /must be a file path/,
    );
    assert.match(
      problemsOf({ tlsCert: certFile, tlsKey: keyFile, tlsClientCa: certFile }).join('\n'),
      /tls-client-ca: .* is not a bundle of PEM certificates/,
    );
    assert.match(
      problemsOf({ tlsCert: certFile, tlsKey: keyFile, tlsClientCa: join(dir, 'absent.pem') }).join('\n'),
      /tls-client-ca: cannot read/,
    );
  });
});
