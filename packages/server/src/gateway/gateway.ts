/**
 * `tessera gateway`: the authenticating reverse proxy. Every request is matched to a route,
 * its credential checked by `@tessera/verify`, and the allowed ones forwarded to the one
 * upstream with the verified identity in `x-auth-*` headers.
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { formatChallenge } from '@tessera/core';
import type { pino } from 'pino';
import { createAccessLog } from '../http/access-log.js';
import { ClientCertificateReader } from '../http/client-certificate-reader.js';
import { createLogger, type LogLevel } from '../http/logger.js';
import { baseUrlFor, type GatewayConfig } from './gateway-config.js';
import { GATEWAY_ERRORS, sendError, sendJson } from './gateway-responses.js';
import {
  PROTECTED_RESOURCE_METADATA_PATH,
  type ProtectedResourceMetadata,
  protectedResourceMetadata,
  protectedResourceMetadataUrl,
} from './protected-resource-metadata.js';
import { issuerVerifier, type RequestVerifier, type RequestVerifierFactory } from './request-verifier.js';
import { RouteTable, routeName } from './route-table.js';
import { type ForwardedIdentity, upstreamRequestHeaders } from './upstream-headers.js';
import { UpstreamProxy } from './upstream-proxy.js';
import {
  DEFAULT_FORM_BODY_LIMIT,
  DEFAULT_SIGNED_BODY_LIMIT,
  hasBody,
  readVerifyRequest,
} from './verify-request.js';

/** `close()` waits this long for requests in flight, then cuts their connections. */
const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;

export interface StartGatewayOptions {
  /** Where logs go; standard output by default. */
  readonly logDestination?: pino.DestinationStream;
  readonly logLevel?: LogLevel;
  /** Builds the verifier; `@tessera/verify`'s `createVerifier` unless a test says otherwise. */
  readonly createVerifier?: RequestVerifierFactory;
  /** Form bodies are read for the verifier up to this many bytes; larger ones get 413. */
  readonly formBodyLimit?: number;
  /** How much of a SigV4-signed body is read to check its hash (default 10 MiB); larger ones get 413. */
  readonly signedBodyLimit?: number;
  readonly shutdownGraceMs?: number;
}

export interface RunningGateway {
  /** Where it listens. */
  readonly url: string;
  /** Its resource identifier (RFC 9728), as named in its metadata and challenges. */
  readonly resource: string;
  readonly logger: pino.Logger;
  /** Stops accepting connections, lets requests in flight finish (within a grace period), then closes. */
  close(): Promise<void>;
}

/** What one request's log line says: never a header value, a query string or a credential. */
interface RequestLog {
  route: string | undefined;
  scheme: string | undefined;
  subject: string | undefined;
  upstreamError: string | undefined;
}

/**
 * Starts the gateway. With any non-public route it first loads the issuer's metadata, keys
 * and revocations, and rejects if the issuer cannot be reached.
 *
 * @example
 * ```ts
 * const gateway = await startGateway(readGatewayConfig('./gateway.json'));
 * console.log(`listening on ${gateway.url}`);
 * process.once('SIGTERM', () => gateway.close());
 * ```
 */
export async function startGateway(
  config: GatewayConfig,
  options: StartGatewayOptions = {},
): Promise<RunningGateway> {
  const logger = createLogger(options.logLevel ?? 'info', options.logDestination);
  const accessLog = createAccessLog(logger);
  const routes = new RouteTable(config.routes);
  const proxy = new UpstreamProxy(config.upstream, { headersTimeoutMs: config.upstreamTimeoutMs });
  const formBodyLimit = options.formBodyLimit ?? DEFAULT_FORM_BODY_LIMIT;
  const signedBodyLimit = options.signedBodyLimit ?? DEFAULT_SIGNED_BODY_LIMIT;
  const needsVerifier = config.routes.some((route) => !route.public);
  if (needsVerifier && config.credentials === undefined) {
    throw new TypeError('a gateway with non-public routes needs credentials');
  }
  const proto = config.tls ? 'https' : 'http';
  // Why our own check: a TLS alert tells the caller nothing, a 401 says what is wrong.
  const clientCertificates = config.clientCertificates
    ? new ClientCertificateReader(config.clientCertificates, () => Math.floor(Date.now() / 1000))
    : undefined;

  let verifier: RequestVerifier | undefined;
  let metadata: ProtectedResourceMetadata | undefined;
  let resourceMetadataUrl = '';
  let closing = false;
  // Why a gate: the port is known only once listening, and the verifier's challenges name
  // a URL built from it; a request that arrives in between waits for the verifier.
  let started = false;
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });

  const handle = async (req: IncomingMessage, res: ServerResponse, entry: RequestLog): Promise<void> => {
    if (!started) await opened;
    if (closing) res.shouldKeepAlive = false;
    const method = req.method ?? '';
    const target = req.url ?? '';

    if ((method === 'GET' || method === 'HEAD') && pathOf(target) === PROTECTED_RESOURCE_METADATA_PATH) {
      sendJson(res, 200, metadata, { 'cache-control': 'max-age=60' });
      return;
    }
    const route = routes.match(method, target);
    if (route === undefined) {
      sendError(res, GATEWAY_ERRORS.notFound);
      return;
    }
    entry.route = routeName(route);

    let identity: ForwardedIdentity | undefined;
    let body: Buffer | Readable | null = hasBody(req) ? req : null;
    if (!route.public) {
      // Most requests have no body to read first: no need to wait a turn for them.
      const reading = readVerifyRequest(req, { form: formBodyLimit, signed: signedBodyLimit });
      const read = reading instanceof Promise ? await reading : reading;
      if (!read.ok) {
        if (read.reason === 'too-large') sendError(res, GATEWAY_ERRORS.formBodyTooLarge);
        else res.destroy();
        return;
      }
      if (read.body !== undefined) body = read.body;
      const certificate = clientCertificates?.read(req.socket, req.rawHeaders);
      const request = certificate
        ? {
            ...read.request,
            clientCertificate: certificate.der,
            clientCertificateTrusted: certificate.trusted,
          }
        : read.request;
      const outcome = await (verifier as RequestVerifier).verify(request, { allOf: route.scopes });
      if (!outcome.ok) {
        const { refusal } = outcome;
        sendJson(res, refusal.status, refusal.error.toJSON(), {
          'www-authenticate': refusal.challenge,
          ...(refusal.retryAfter === undefined ? {} : { 'retry-after': String(refusal.retryAfter) }),
          ...(refusal.dpopNonce === undefined ? {} : { 'dpop-nonce': refusal.dpopNonce }),
        });
        return;
      }
      identity = outcome.identity;
      entry.scheme = identity.scheme;
      entry.subject = identity.subject;
    }

    const headers = upstreamRequestHeaders(req.rawHeaders, identity, {
      remoteAddress: req.socket.remoteAddress,
      proto,
    });
    if (headers === undefined) {
      // A verified token whose subject or client id would break a header line.
      const description = 'The token names an identity that cannot be forwarded.';
      sendJson(
        res,
        401,
        { error: 'invalid_token', error_description: description },
        {
          'www-authenticate': formatChallenge('Bearer', {
            error: 'invalid_token',
            error_description: description,
            resource_metadata: resourceMetadataUrl,
          }),
        },
      );
      return;
    }

    const result = await proxy.forward({ method, target, headers, body }, res);
    entry.upstreamError = result.cause;
    if (result.outcome === 'unreachable') sendError(res, GATEWAY_ERRORS.badGateway);
    else if (result.outcome === 'timeout') sendError(res, GATEWAY_ERRORS.gatewayTimeout);
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const startedAt = performance.now();
    const entry: RequestLog = {
      route: undefined,
      scheme: undefined,
      subject: undefined,
      upstreamError: undefined,
    };
    res.on('close', () => {
      accessLog({
        method: req.method,
        path: pathOf(req.url ?? ''),
        status: res.statusCode,
        route: entry.route,
        scheme: entry.scheme,
        subject: entry.subject,
        upstreamError: entry.upstreamError,
        incomplete: res.writableFinished ? undefined : true,
        ms: Math.round((performance.now() - startedAt) * 10) / 10,
      });
      if (closing) server.closeIdleConnections();
    });
    handle(req, res, entry).catch((error: unknown) => {
      logger.error({ err: error }, 'request failed');
      if (res.headersSent) res.destroy();
      else sendError(res, GATEWAY_ERRORS.internal);
    });
  };

  const server: Server = config.tls
    ? createHttpsServer(
        {
          cert: config.tls.cert,
          key: config.tls.key,
          // Requested, not required: what a certificate is worth is decided per request, and a
          // bad one gets a 401 rather than a TLS alert.
          ...(config.tls.clientCa
            ? { ca: config.tls.clientCa, requestCert: true, rejectUnauthorized: false }
            : {}),
        },
        onRequest,
      )
    : createHttpServer(onRequest);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.listen.port, config.listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Log lines are written in batches; the ones about starting up should not wait.
  logger.flush();
  const port = (server.address() as AddressInfo).port;
  const resource = baseUrlFor(config, port);
  resourceMetadataUrl = protectedResourceMetadataUrl(resource);
  metadata = protectedResourceMetadata(
    resource,
    config.issuer,
    config.routes.map((route) => route.scopes),
  );

  const stop = async () => {
    closing = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const cut = setTimeout(
      () => server.closeAllConnections(),
      options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS,
    );
    await closed;
    clearTimeout(cut);
    await proxy.close();
    verifier?.close();
    await new Promise<void>((resolve) => logger.flush(() => resolve()));
  };

  const { credentials } = config;
  if (needsVerifier && credentials !== undefined) {
    try {
      verifier = await (options.createVerifier ?? issuerVerifier)({
        issuer: config.issuer,
        audience: config.audience,
        schemes: config.schemes,
        sigv4: config.sigv4,
        // Behind a TLS-terminating proxy the connection is plain HTTP, yet clients sign https URLs.
        dpop: { origin: config.resource, nonceKey: config.dpop?.nonceKey },
        credentials,
        resourceMetadataUrl,
        onError: (error) => logger.warn({ err: { message: error.message, code: codeOf(error) } }, 'verifier'),
      });
    } catch (error) {
      await stop();
      throw new Error(
        `cannot start the gateway: the issuer ${config.issuer} is not usable (${oneLine(error)})`,
        {
          cause: error,
        },
      );
    }
  }
  started = true;
  open();

  const host = config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host;
  return { url: `${proto}://${host}:${port}`, resource, logger, close: stop };
}

const pathOf = (target: string) => {
  const query = target.indexOf('?');
  return query === -1 ? target : target.slice(0, query);
};

const codeOf = (error: Error) => (error as { code?: unknown }).code;

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? 'failed';
}
