/**
 * The two authorization servers the benchmark compares, each started in its own child process and
 * described by what the load phases need: its endpoints (from discovery), the client's Basic
 * credentials and the token request body.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Pinning, runNode, type StartedServer, startServer } from './child-processes.ts';
import {
  basicAuthorization,
  checkIntrospection,
  checkTokenResponse,
  type TokenCheck,
} from './oauth-calls.ts';
import { API_SCOPE, AUDIENCE, OIDC_PROVIDER_RESOURCE, REQUESTED_SCOPE } from './shared-setup.ts';

export interface ServerUnderTest {
  readonly name: 'oidc-provider' | 'tessera';
  readonly pid: number;
  readonly tokenEndpoint: URL;
  readonly introspectionEndpoint: URL;
  /** `Basic …` for the benchmark client */
  readonly authorization: string;
  /** `grant_type=client_credentials&scope=read&resource=…` */
  readonly tokenRequestBody: string;
  /** what the pre-flight requests showed (token format, introspection answer), for the report */
  readonly notes: readonly string[];
  readonly recentOutput: () => string;
  readonly stop: () => Promise<void>;
}

export interface StartContext {
  readonly repoRoot: string;
  readonly pinning: Pinning | undefined;
}

const START_TIMEOUT_MS = 60_000;
const CLI_TIMEOUT_MS = 60_000;
const BUILD_TIMEOUT_MS = 600_000;

/** Starts `oidc-provider-server.ts` and checks that it issues JWTs its introspection calls active. */
export async function startOidcProvider(context: StartContext): Promise<ServerUnderTest> {
  const clientId = 'bench';
  const clientSecret = randomSecret();
  const server = await startServer({
    args: [
      '--import',
      'tsx',
      join(context.repoRoot, 'bench/oauth/oidc-provider-server.ts'),
      '--port',
      '0',
      '--client-id',
      clientId,
      '--client-secret',
      clientSecret,
    ],
    cwd: context.repoRoot,
    pinning: context.pinning,
    isReadyLine: (line) => line.includes('listening on'),
    timeoutMs: START_TIMEOUT_MS,
  });
  return describeServer('oidc-provider', server, {
    clientId,
    clientSecret,
    tokenBodies: [tokenBody(OIDC_PROVIDER_RESOURCE)],
  });
}

/**
 * Builds Tessera (`tsc -b` unless `build` is false), registers the API and the client through its
 * CLI in a fresh SQLite database, starts `tessera serve` on a free loopback port and checks it as
 * for oidc-provider. Every step follows the public contract (`../shared/CONTRACT.md`).
 */
export async function startTessera(context: StartContext & { build: boolean }): Promise<ServerUnderTest> {
  const { repoRoot } = context;
  if (context.build) {
    const tsc = join(repoRoot, 'node_modules/typescript/bin/tsc');
    const built = await runNode([tsc, '-b'], { cwd: repoRoot, timeoutMs: BUILD_TIMEOUT_MS });
    if (built.status !== 0) {
      throw new Error(`tsc -b failed (${built.status}):\n${tail(built.stdout + built.stderr)}`);
    }
  }
  const cliEntry = join(repoRoot, 'packages/server/dist/cli/main.js');
  if (!existsSync(cliEntry)) {
    throw new Error(`${cliEntry} does not exist: the Tessera CLI is not built (run \`npx tsc -b\`)`);
  }
  const tessera = join(repoRoot, 'packages/server/bin/tessera.js');

  const dir = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
  const removeDir = (): void => rmSync(dir, { recursive: true, force: true });
  process.once('exit', removeDir);
  const db = `sqlite:${join(dir, 't.db')}`;

  const cli = async (args: string[]): Promise<Record<string, unknown>> => {
    const result = await runNode([tessera, ...args], { cwd: repoRoot, timeoutMs: CLI_TIMEOUT_MS });
    const shown = `tessera ${args.join(' ')}`;
    if (result.status !== 0) {
      throw new Error(`\`${shown}\` exited ${result.status}: ${tail(result.stderr || result.stdout)}`);
    }
    try {
      return JSON.parse(result.stdout) as Record<string, unknown>;
    } catch {
      throw new Error(`\`${shown}\` did not print one JSON object: ${tail(result.stdout)}`);
    }
  };

  try {
    await cli(['api', 'create', '--db', db, '--audience', AUDIENCE, '--scope', API_SCOPE, '--json']);
    const client = await cli([
      'client',
      'create',
      '--db',
      db,
      '--name',
      'bench',
      '--grant',
      'client_credentials',
      '--scope',
      API_SCOPE,
      '--audience',
      AUDIENCE,
      '--resource-server',
      '--json',
    ]);
    const clientId = client.client_id;
    const clientSecret = client.client_secret;
    if (typeof clientId !== 'string' || typeof clientSecret !== 'string') {
      throw new Error(
        `\`tessera client create --json\` gave no client_id/client_secret: ${JSON.stringify(client)}`,
      );
    }

    const port = await freeLoopbackPort();
    const server = await startServer({
      args: [tessera, 'serve', '--db', db, '--port', String(port), '--host', '127.0.0.1'],
      cwd: repoRoot,
      pinning: context.pinning,
      isReadyLine: (line) => line.includes(`127.0.0.1:${port}`) || line.includes(`localhost:${port}`),
      timeoutMs: START_TIMEOUT_MS,
    });
    const described = await describeServer('tessera', server, {
      clientId,
      clientSecret,
      // Why: RFC 8707 asks for an absolute URI, and the contract registers the audience `bench-api`;
      // the first body Tessera answers with a JWT is the one loaded (the report says which).
      tokenBodies: [tokenBody(AUDIENCE), tokenBody(undefined)],
    });
    return {
      ...described,
      stop: async () => {
        await described.stop();
        removeDir();
      },
    };
  } catch (error) {
    removeDir();
    throw error;
  }
}

async function describeServer(
  name: ServerUnderTest['name'],
  server: StartedServer,
  client: { clientId: string; clientSecret: string; tokenBodies: readonly string[] },
): Promise<ServerUnderTest> {
  try {
    const metadata = await discover(server.url);
    const tokenEndpoint = loopbackEndpoint(metadata, 'token_endpoint');
    const introspectionEndpoint = loopbackEndpoint(metadata, 'introspection_endpoint');
    const authorization = basicAuthorization(client.clientId, client.clientSecret);

    const refused: string[] = [];
    let chosen: { body: string; check: Extract<TokenCheck, { ok: true }> } | undefined;
    for (const body of client.tokenBodies) {
      const check = await checkTokenResponse(tokenEndpoint, authorization, body);
      if (check.ok) {
        chosen = { body, check };
        break;
      }
      refused.push(`${body} -> ${check.problem}`);
    }
    if (chosen === undefined) throw new Error(`no token request succeeded:\n  ${refused.join('\n  ')}`);

    const introspection = await checkIntrospection(
      introspectionEndpoint,
      authorization,
      chosen.check.accessToken,
    );
    if (!introspection.ok) throw new Error(`introspection of a fresh token: ${introspection.problem}`);

    const notes = [
      `discovery: ${metadata.source}`,
      `token request: ${chosen.body}${refused.length > 0 ? ` (refused first: ${refused.join('; ')})` : ''}`,
      `access token: ${chosen.check.summary}`,
      `introspection: ${introspection.summary}`,
    ];
    return {
      name,
      pid: server.pid,
      tokenEndpoint,
      introspectionEndpoint,
      authorization,
      tokenRequestBody: chosen.body,
      notes,
      recentOutput: server.recentOutput,
      stop: () => server.stop(),
    };
  } catch (error) {
    await server.stop();
    const output = server.recentOutput();
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${name}: ${message}${output ? `\n--- last output of ${name} ---\n${output}` : ''}`);
  }
}

interface Metadata {
  readonly source: string;
  readonly values: Record<string, unknown>;
}

/** RFC 8414 metadata, falling back to OpenID Connect Discovery. */
async function discover(issuerUrl: string): Promise<Metadata> {
  const issuer = new URL(issuerUrl);
  const path = issuer.pathname.replace(/\/$/, '');
  const candidates = [
    new URL(`/.well-known/oauth-authorization-server${path}`, issuer.origin),
    new URL(`${path}/.well-known/openid-configuration`, issuer.origin),
  ];
  const failures: string[] = [];
  for (const url of candidates) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      if (response.ok) {
        return { source: url.pathname, values: (await response.json()) as Record<string, unknown> };
      }
      failures.push(`${url.href}: ${response.status}`);
    } catch (error) {
      failures.push(`${url.href}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new Error(`discovery failed: ${failures.join('; ')}`);
}

function loopbackEndpoint(metadata: Metadata, member: string): URL {
  const value = metadata.values[member];
  if (typeof value !== 'string') throw new Error(`discovery has no ${member}`);
  const url = new URL(value);
  if (url.protocol !== 'http:' || !['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
    throw new Error(`${member} ${value} is not plain HTTP on loopback; the benchmark loads loopback only`);
  }
  return url;
}

function tokenBody(resource: string | undefined): string {
  const params = new URLSearchParams({ grant_type: 'client_credentials', scope: REQUESTED_SCOPE });
  if (resource !== undefined) params.set('resource', resource);
  return params.toString();
}

function freeLoopbackPort(): Promise<number> {
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

function randomSecret(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
}

function tail(text: string): string {
  const lines = text.trim().split('\n');
  return lines.slice(-15).join('\n');
}
