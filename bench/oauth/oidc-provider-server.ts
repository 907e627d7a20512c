/**
 * panva's `oidc-provider` configured like Tessera for the benchmark: one confidential client
 * (`client_secret_basic`) allowed the client credentials grant, one resource server `bench-api`
 * (scopes `read write`) whose access tokens are ES256-signed JWTs (RFC 9068), and introspection.
 *
 * Started by `token-and-introspection.bench.ts` as a child process:
 *
 * ```sh
 * node --import tsx bench/oauth/oidc-provider-server.ts --port 0 --client-id bench --client-secret S
 * ```
 *
 * It binds 127.0.0.1 only and prints `oidc-provider listening on http://127.0.0.1:PORT` once it
 * accepts connections; SIGTERM/SIGINT close it with status 0.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import Provider, { errors } from 'oidc-provider';
import { BenchMemoryAdapter } from './memory-adapter.ts';
import { AUDIENCE, OIDC_PROVIDER_RESOURCE, API_SCOPE as SCOPE } from './shared-setup.ts';

const ACCESS_TOKEN_TTL_SECONDS = 600;

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'client-id': { type: 'string', default: 'bench' },
    'client-secret': { type: 'string' },
  },
});

const clientId = values['client-id'];
const clientSecret = values['client-secret'] ?? randomBytes(32).toString('base64url');

const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signingJwk = { ...privateKey.export({ format: 'jwk' }), kid: 'bench-es256', alg: 'ES256', use: 'sig' };

const server = createServer();
await new Promise<void>((resolve, reject) => {
  server.once('error', reject);
  server.listen(Number(values.port), '127.0.0.1', () => resolve());
});
const { port } = server.address() as AddressInfo;
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  adapter: BenchMemoryAdapter,
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: SCOPE,
    },
  ],
  clientDefaults: { id_token_signed_response_alg: 'ES256' },
  jwks: { keys: [signingJwk] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  scopes: SCOPE.split(' '),
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: {
      enabled: true,
      // Why: the same rule as Tessera for a plain client: it may introspect the tokens issued to it.
      allowedPolicy: async (_ctx: unknown, client: { clientId: string }, token: { clientId?: string }) =>
        token.clientId === client.clientId,
    },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => OIDC_PROVIDER_RESOURCE,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (_ctx: unknown, resourceIndicator: string) => {
        if (resourceIndicator !== OIDC_PROVIDER_RESOURCE) throw new errors.InvalidTarget();
        return {
          scope: SCOPE,
          audience: AUDIENCE,
          accessTokenTTL: ACCESS_TOKEN_TTL_SECONDS,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        };
      },
    },
  },
});

persistJwtClientCredentials(provider);

// Why: oidc-provider serves only OpenID Connect Discovery; the harness asks for RFC 8414 first.
const callback = provider.callback();
server.on('request', (req: IncomingMessage, res: ServerResponse) => {
  if (req.url === '/.well-known/oauth-authorization-server') req.url = '/.well-known/openid-configuration';
  callback(req, res);
});

console.log(`oidc-provider listening on ${issuer}`);

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}

/**
 * oidc-provider does not store structured (JWT) access tokens, so out of the box its introspection
 * endpoint answers `{"active":false}` for every JWT it issued (the model lookup in
 * `lib/actions/introspection.js` misses). To benchmark "JWT access tokens + introspection" on both
 * servers, each issued client-credentials JWT is also written to the adapter, keyed by its full value,
 * with the payload the opaque format would have stored. Introspection is then an exact-match map
 * lookup with no signature check: the cheapest possible design, which favours oidc-provider.
 */
function persistJwtClientCredentials(op: InstanceType<typeof Provider>): void {
  // biome-ignore lint/suspicious/noExplicitAny: oidc-provider's model classes carry no type declarations.
  const ClientCredentials = (op as any).ClientCredentials;
  const originalSave = ClientCredentials.prototype.save as () => Promise<string>;
  const inPayload: readonly string[] = ClientCredentials.IN_PAYLOAD;

  ClientCredentials.prototype.save = async function saveAndPersistJwt(this: Record<string, unknown>) {
    const value = await originalSave.call(this);
    const dot = value.indexOf('.');
    const lastDot = value.lastIndexOf('.');
    if (dot > 0 && lastDot > dot) {
      const claims = JSON.parse(Buffer.from(value.slice(dot + 1, lastDot), 'base64url').toString('utf8')) as {
        iat: number;
        exp: number;
      };
      const payload: Record<string, unknown> = {};
      for (const key of inPayload) {
        if (this[key] !== undefined) payload[key] = this[key];
      }
      payload.iat = claims.iat;
      payload.exp = claims.exp;
      const adapter = this.adapter as BenchMemoryAdapter;
      await adapter.upsert(value, payload, claims.exp - Math.floor(Date.now() / 1000));
    }
    return value;
  };
}
