import { createServer } from 'node:net';
import type { pino } from 'pino';
import { issuerFor, type ServerConfig } from '../config/server-config.js';
import { createBrowserFlow } from '../endpoints/browser-flow.js';
import { createCertificateClientEndpoint } from '../endpoints/certificate-client.js';
import { createDiscoveryEndpoint } from '../endpoints/discovery.js';
import { createIntrospectionEndpoint } from '../endpoints/introspect.js';
import { createJwksEndpoint } from '../endpoints/jwks.js';
import { endpointUrl, PATHS } from '../endpoints/paths.js';
import { createRevocationFeedEndpoint } from '../endpoints/revocations.js';
import { createRevocationEndpoint } from '../endpoints/revoke.js';
import { createSigningKeyEndpoint } from '../endpoints/sigv4-signing-key.js';
import { createTokenEndpoint } from '../endpoints/token.js';
import { createUserinfoEndpoint } from '../endpoints/userinfo.js';
import { createHttpApp } from '../http/app.js';
import { ClientCertificateReader } from '../http/client-certificate-reader.js';
import { createLogger } from '../http/logger.js';
import { AccessTokenService } from '../services/access-tokens.js';
import { AuthorizationRequestParser } from '../services/authorization-request.js';
import { ClientAuthenticator } from '../services/client-authentication.js';
import { DpopGuard } from '../services/dpop-guard.js';
import { AuthorizationCodeGrant } from '../services/grants/authorization-code.js';
import { ClientCredentialsGrant } from '../services/grants/client-credentials.js';
import { RefreshTokenGrant } from '../services/grants/refresh-token.js';
import { TokenExchangeGrant } from '../services/grants/token-exchange.js';
import { UserTokenIssuer } from '../services/grants/user-tokens.js';
import { ID_TOKEN_ALG, IdTokenService } from '../services/id-tokens.js';
import { LoginThrottle } from '../services/login-throttle.js';
import { RevocationFeed } from '../services/revocation-feed.js';
import { RevocationSync } from '../services/revocation-sync.js';
import { MemoryEphemeralStore } from '../store/ephemeral-store.js';
import { DEFAULT_ACCESS_TOKEN_TTL, JWKS_MAX_AGE, openTessera, type Tessera } from './tessera.js';

/** A server picks up keys rotated by another process within this long. */
const KEY_REFRESH_MS = 2000;
const PURGE_INTERVAL_MS = 3600 * 1000;
/** Revocations recorded by other instances or the CLI reach this one within about this long. */
const REVOCATION_SYNC_MS = 1000;
/** When API keys were last used is written this often, not on every request. */
const API_KEY_USAGE_FLUSH_MS = 60 * 1000;

export interface RunningServer {
  readonly url: string;
  readonly issuer: string;
  readonly tessera: Tessera;
  readonly logger: pino.Logger;
  /** Stops accepting connections, finishes requests in flight, then closes the store. */
  close(): Promise<void>;
}

export interface StartServerOptions {
  /** Where logs go; standard output by default. */
  readonly logDestination?: pino.DestinationStream;
  readonly now?: () => number;
}

/**
 * Starts the authorization server.
 *
 * @example const server = await startServer(resolveServerConfig({}, process.cwd(), process.env));
 */
export async function startServer(
  config: ServerConfig,
  options: StartServerOptions = {},
): Promise<RunningServer> {
  const logger = createLogger(config.logLevel, options.logDestination);
  const tessera = await openTessera({
    database: config.database,
    masterKey: config.masterKey,
    ...(options.now ? { now: options.now } : {}),
  });
  try {
    await tessera.signingKeys.ensureKey('ES256');
    // OpenID Connect's default ID token algorithm, which every relying party can check.
    await tessera.signingKeys.ensureKey(ID_TOKEN_ALG);
    const port = config.port === 0 && config.issuer === undefined ? await freePort(config.host) : config.port;
    const issuer = issuerFor(config, port);
    const replayCache = new MemoryEphemeralStore();
    const feed = new RevocationFeed(tessera.tokens, tessera.now);
    const revocationSync = new RevocationSync(
      feed,
      tessera.revocations.list,
      (entry) => {
        if (entry.kind === 'client') tessera.clients.forget(entry.value);
      },
      tessera.now,
    );
    await revocationSync.poll();
    const accessTokens = new AccessTokenService({
      issuer,
      signingKeys: tessera.signingKeys,
      resourceServers: tessera.resourceServers,
      tokens: tessera.tokens,
      revocations: tessera.revocations,
      minter: tessera.minter,
      now: tessera.now,
      defaultTtl: DEFAULT_ACCESS_TOKEN_TTL,
    });
    const authenticator = new ClientAuthenticator({
      clients: tessera.clients,
      minter: tessera.minter,
      replayCache,
      issuer,
      tokenEndpoint: endpointUrl(issuer, PATHS.token),
      now: tessera.now,
    });
    const idTokens = new IdTokenService(issuer, tessera.signingKeys, tessera.now);
    const dpop = new DpopGuard(tessera.dpopNonces, replayCache, tessera.now);
    const userTokens = new UserTokenIssuer({
      accessTokens,
      idTokens,
      grants: tessera.grants,
      resourceServers: tessera.resourceServers,
      users: tessera.users,
      minter: tessera.minter,
      successorKey: tessera.refreshSuccessorKey,
    });
    const app = createHttpApp({
      logger,
      bodyLimit: config.bodyLimit,
      ...(config.tls ? { https: { ...config.tls, ca: config.clientCertificates?.ca } } : {}),
      clientCertificates: config.clientCertificates
        ? new ClientCertificateReader(config.clientCertificates, tessera.now)
        : undefined,
      trustedProxies: config.trustedProxies,
      secureCookies: issuer.startsWith('https://'),
      endpoints: {
        token: createTokenEndpoint({
          authenticator,
          dpop,
          url: endpointUrl(issuer, PATHS.token),
          clientCredentials: new ClientCredentialsGrant(accessTokens, tessera.resourceServers, issuer),
          authorizationCode: new AuthorizationCodeGrant(tessera.grants, userTokens, tessera.now),
          refreshToken: new RefreshTokenGrant(tessera.grants, userTokens, tessera.now),
          tokenExchange: new TokenExchangeGrant(accessTokens, tessera.resourceServers),
        }),
        introspection: createIntrospectionEndpoint({
          authenticator,
          accessTokens,
          apiKeys: tessera.apiKeys,
          grants: tessera.grants,
        }),
        revocation: createRevocationEndpoint({ authenticator, accessTokens, grants: tessera.grants }),
        userinfo: createUserinfoEndpoint({
          accessTokens,
          users: tessera.users,
          dpop,
          url: endpointUrl(issuer, PATHS.userinfo),
        }),
        browser: createBrowserFlow({
          issuer,
          parser: new AuthorizationRequestParser(tessera.clients, tessera.resourceServers, issuer),
          clients: tessera.clients,
          users: tessera.users,
          throttle: new LoginThrottle(tessera.now),
          sessions: tessera.sessions,
          consents: tessera.consents,
          grants: tessera.grants,
          csrf: tessera.csrf,
          sealer: tessera.sealer,
          idTokens,
          now: tessera.now,
        }),
        sigv4SigningKey: createSigningKeyEndpoint({
          authenticator,
          hmacCredentials: tessera.hmacCredentials,
        }),
        certificateClient: createCertificateClientEndpoint({
          authenticator,
          clients: tessera.clients,
          resourceServers: tessera.resourceServers,
          now: tessera.now,
        }),
        discovery: createDiscoveryEndpoint({
          issuer,
          resourceServers: tessera.resourceServers,
          mtls: config.clientCertificates !== undefined,
        }),
        jwks: createJwksEndpoint(tessera.signingKeys, JWKS_MAX_AGE),
        revocationFeed: createRevocationFeedEndpoint({
          authenticator,
          feed,
        }),
        ready: () => tessera.database.ping(),
      },
    });
    await app.listen({ host: config.host, port });
    // Log lines are written in batches; the ones about starting up should not wait.
    logger.flush();
    const address = app.server.address();
    const boundPort = typeof address === 'object' && address !== null ? address.port : port;
    const scheme = config.tls ? 'https' : 'http';
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;

    const stopWatching = tessera.signingKeys.watch(KEY_REFRESH_MS, (error) =>
      logger.error({ err: error }, 'could not reload signing keys'),
    );
    const stopSyncing = revocationSync.watch(REVOCATION_SYNC_MS, (error) =>
      logger.error({ err: error }, 'could not read the revocation feed'),
    );
    const flushUsage = () =>
      tessera.apiKeys
        .flushUsage()
        .catch((error) => logger.error({ err: error }, 'could not record API key use'));
    const usage = setInterval(flushUsage, API_KEY_USAGE_FLUSH_MS);
    usage.unref();
    const purge = setInterval(() => {
      Promise.all([
        tessera.tokens.purgeExpired(tessera.now()),
        tessera.grants.purgeExpired(),
        tessera.sessions.purgeExpired(),
      ]).catch((error) => logger.error({ err: error }, 'could not purge expired tokens'));
    }, PURGE_INTERVAL_MS);
    purge.unref();

    return {
      url: `${scheme}://${host}:${boundPort}`,
      issuer,
      tessera,
      logger,
      async close() {
        stopWatching();
        stopSyncing();
        clearInterval(purge);
        clearInterval(usage);
        await app.close();
        await flushUsage();
        await replayCache.close();
        await tessera.close();
        await new Promise<void>((resolve) => logger.flush(() => resolve()));
      },
    };
  } catch (error) {
    await tessera.close();
    throw error;
  }
}

/** A port free on `host` now, so the issuer can name it before the server listens. */
function freePort(host: string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}
