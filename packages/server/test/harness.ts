/**
 * The end-to-end harness: a real server on a loopback port over a throwaway database, on
 * SQLite and (when TESSERA_TEST_POSTGRES_URL is set, as `.ci/run` does) on PostgreSQL.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe } from 'node:test';
import pg from 'pg';
import { type RunningServer, startServer } from '../src/app/server.js';
import { type RawSettings, resolveServerConfig } from '../src/config/server-config.js';
import type { CreateClientInput } from '../src/services/clients.js';

export interface TestDatabase {
  readonly name: 'sqlite' | 'postgres';
  /** A fresh, empty database; `drop` removes it. */
  create(dir: string): Promise<{ url: string; drop(): Promise<void> }>;
}

/** A throwaway SQLite database, for suites that test something other than the store. */
export const sqlite: TestDatabase = {
  name: 'sqlite',
  create: async (dir) => ({ url: `sqlite:${join(dir, 'tessera.db')}`, drop: async () => {} }),
};

function postgres(adminUrl: string): TestDatabase {
  return {
    name: 'postgres',
    async create() {
      const name = `tessera_test_${randomBytes(6).toString('hex')}`;
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      return {
        url: url.toString(),
        async drop() {
          const dropper = new pg.Client({ connectionString: adminUrl });
          await dropper.connect();
          try {
            await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
          } finally {
            await dropper.end();
          }
        },
      };
    },
  };
}

/**
 * Declares `suite` once per database. Without TESSERA_TEST_POSTGRES_URL the PostgreSQL run
 * is reported as skipped, except in CI, where its absence fails the run.
 */
export function describeEachDatabase(title: string, suite: (db: TestDatabase) => void): void {
  describe(`${title} (sqlite)`, () => suite(sqlite));
  const url = process.env.TESSERA_TEST_POSTGRES_URL;
  if (url === undefined && process.env.CI) throw new Error('CI must set TESSERA_TEST_POSTGRES_URL');
  if (url === undefined) {
    describe(`${title} (postgres)`, { skip: 'set TESSERA_TEST_POSTGRES_URL to run on PostgreSQL' }, () => {});
  } else {
    describe(`${title} (postgres)`, () => suite(postgres(url)));
  }
}

export interface TestServer {
  readonly server: RunningServer;
  readonly issuer: string;
  readonly dir: string;
  readonly dbUrl: string;
  /** Everything the server has logged so far. */
  logs(): string;
  createClient(input: Partial<CreateClientInput>): Promise<{ clientId: string; clientSecret: string }>;
  close(): Promise<void>;
}

/**
 * Starts a server over a fresh database of `db`. `now` (epoch seconds) replaces its clock,
 * for tests that move time.
 */
export async function startTestServer(
  db: TestDatabase,
  settings: RawSettings = {},
  now?: () => number,
): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-test-'));
  const database = await db.create(dir);
  const lines: string[] = [];
  const logDestination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const config = resolveServerConfig({ db: database.url, port: 0, logLevel: 'debug', ...settings }, dir, {});
  // With `dir` as the working directory and no env, the master key file sits where a
  // `tessera` command run in `dir` looks for it.
  const server = await startServer(config, { logDestination, ...(now ? { now } : {}) });
  return {
    server,
    issuer: server.issuer,
    dir,
    dbUrl: database.url,
    logs: () => lines.join(''),
    async createClient(input) {
      const { client, secret } = await server.tessera.clients.create({
        name: 'test client',
        grantTypes: ['client_credentials'],
        ...input,
      });
      return { clientId: client.id, clientSecret: secret ?? '' };
    },
    async close() {
      await server.close();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** POSTs a form to the server, as any HTTP client would. */
export function postForm(
  url: string,
  form: Record<string, string> | string,
  headers: Record<string, string> = {},
): Promise<Response> {
  const body = typeof form === 'string' ? form : new URLSearchParams(form).toString();
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });
}

export const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
