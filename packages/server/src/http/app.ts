import { randomUUID } from 'node:crypto';
import { ErrorCode, InvalidRequest, MethodNotAllowed, NotFound } from '@tessera/core';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { pino } from 'pino';
import type { createBrowserFlow } from '../endpoints/browser-flow.js';
import type { EndpointRequest, EndpointResponse } from '../endpoints/endpoint-io.js';
import { PATHS } from '../endpoints/paths.js';
import type { UserinfoRequest } from '../endpoints/userinfo.js';
import { createAccessLog } from './access-log.js';
import { registerBrowserRoutes } from './browser-routes.js';
import type { ClientCertificateReader } from './client-certificate-reader.js';
import { allowCrossOriginCalls } from './cors.js';
import { errorHeaders, toTesseraError } from './error-response.js';
import { parseFormBody } from './form-body.js';

type Endpoint = (request: EndpointRequest) => Promise<EndpointResponse>;

export interface HttpEndpoints {
  readonly token: Endpoint;
  readonly introspection: Endpoint;
  readonly revocation: Endpoint;
  readonly sigv4SigningKey: Endpoint;
  /** The tls_client_auth client registered for a certificate, for resource servers. */
  readonly certificateClient: Endpoint;
  readonly userinfo: (request: UserinfoRequest) => Promise<EndpointResponse>;
  /** The authorization endpoint and the pages around it. */
  readonly browser: ReturnType<typeof createBrowserFlow>;
  readonly discovery: () => Promise<EndpointResponse>;
  readonly jwks: () => Promise<EndpointResponse>;
  readonly revocationFeed: (request: {
    authorization: string | undefined;
    after: string | undefined;
  }) => Promise<EndpointResponse>;
  /** Resolves when the store answers. */
  readonly ready: () => Promise<void>;
}

export interface HttpAppOptions {
  readonly endpoints: HttpEndpoints;
  readonly logger: pino.Logger;
  readonly bodyLimit: number;
  /** With `ca`, client certificates chaining to it are requested, not required (RFC 8705). */
  readonly https?: { readonly cert: Buffer; readonly key: Buffer; readonly ca?: Buffer | undefined };
  /** Reads the client certificate of a token, introspection or revocation request. */
  readonly clientCertificates?: ClientCertificateReader | undefined;
  /** TLS-terminating proxies whose `X-Forwarded-For` names the client, for sign-in throttling. */
  readonly trustedProxies?: readonly string[] | undefined;
  /** Whether browsers reach the server over HTTPS (its issuer is https), for cookie flags. */
  readonly secureCookies: boolean;
}

/** Which methods each path answers, for 405 versus 404. */
const ALLOWED_METHODS: Record<string, string> = {
  [PATHS.token]: 'POST',
  [PATHS.introspection]: 'POST',
  [PATHS.revocation]: 'POST',
  [PATHS.sigv4SigningKey]: 'POST',
  [PATHS.certificateClient]: 'POST',
  [PATHS.userinfo]: 'GET, HEAD, POST',
  [PATHS.authorization]: 'GET, POST',
  [PATHS.login]: 'POST',
  [PATHS.consent]: 'POST',
  [PATHS.endSession]: 'GET, POST',
  [PATHS.account]: 'GET',
  [PATHS.accountRevoke]: 'POST',
  [PATHS.jwks]: 'GET, HEAD',
  [PATHS.revocationFeed]: 'GET, HEAD',
  [PATHS.oauthMetadata]: 'GET, HEAD',
  [PATHS.openidMetadata]: 'GET, HEAD',
  '/healthz': 'GET, HEAD',
  '/readyz': 'GET, HEAD',
};

/**
 * The HTTP face of the authorization server: translates requests to endpoint inputs and
 * endpoint results to responses, and nothing else.
 */
export function createHttpApp(options: HttpAppOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimit,
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    // One line per request, written by the onResponse hook below with what it may show.
    logController: new LogController({ disableRequestLogging: true }),
    // No child logger per request: the few lines a request writes name its id themselves.
    childLoggerFactory: (logger) => logger,
    return503OnClosing: true,
    ...(options.https ? { https: httpsOptions(options.https) } : {}),
  }) as unknown as FastifyInstance;

  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => {
      try {
        done(null, parseFormBody(body as string));
      } catch (error) {
        done(error as Error, undefined);
      }
    },
  );

  // Closing waits for requests in flight, but a keep-alive connection would then stay open
  // until it times out: while closing, every response asks the client to hang up.
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) void reply.header('connection', 'close');
    done(null, payload);
  });

  const accessLog = createAccessLog(options.logger);
  app.addHook('onResponse', (request, reply, done) => {
    accessLog({
      reqId: request.id,
      method: request.method,
      path: request.url.split('?', 1)[0],
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime),
    });
    done();
  });
  app.setErrorHandler((error, request, reply) => {
    const refused = toTesseraError(error);
    if (refused.status >= 500) request.log.error({ reqId: request.id, err: error }, 'request failed');
    else
      request.log.info({ reqId: request.id, code: refused.code, detail: refused.detail }, 'request refused');
    void reply.status(refused.status).headers(errorHeaders(refused)).send(refused.toJSON());
  });

  app.setNotFoundHandler((request) => {
    const path = request.url.split('?')[0] ?? '';
    const allowed = ALLOWED_METHODS[path];
    if (allowed !== undefined) {
      throw new MethodNotAllowed(ErrorCode.METHOD_NOT_ALLOWED, `Use ${allowed} here.`);
    }
    throw new NotFound(ErrorCode.NOT_FOUND, 'There is nothing here.');
  });

  const { endpoints } = options;
  const formRoute = (endpoint: Endpoint) => async (request: FastifyRequest, reply: FastifyReply) =>
    send(reply, await endpoint(endpointRequest(request, options.clientCertificates)));

  app.post(PATHS.token, formRoute(endpoints.token));
  app.post(PATHS.introspection, formRoute(endpoints.introspection));
  app.post(PATHS.revocation, formRoute(endpoints.revocation));
  app.post(PATHS.sigv4SigningKey, formRoute(endpoints.sigv4SigningKey));
  app.post(PATHS.certificateClient, formRoute(endpoints.certificateClient));
  const userinfo = async (request: FastifyRequest, reply: FastifyReply) => {
    const body = request.body instanceof URLSearchParams ? request.body : undefined;
    const inQuery = new URLSearchParams(request.url.split('?')[1] ?? '').has('access_token');
    return send(
      reply,
      await endpoints.userinfo({
        method: request.method,
        clientCertificate: options.clientCertificates?.read(request.raw.socket, request.raw.rawHeaders)?.der,
        authorization: request.headers.authorization,
        dpopProofs: headerValues(request, 'dpop'),
        tokenElsewhere: inQuery || (body?.has('access_token') ?? false),
      }),
    );
  };
  app.get(PATHS.userinfo, userinfo);
  app.post(PATHS.userinfo, userinfo);
  registerBrowserRoutes(app, endpoints.browser, options.secureCookies, options.trustedProxies);
  allowCrossOriginCalls(app);
  app.get(PATHS.jwks, async (_request, reply) => send(reply, await endpoints.jwks()));
  app.get<{ Querystring: Record<string, string | string[] | undefined> }>(
    PATHS.revocationFeed,
    async (request, reply) => {
      const { after } = request.query;
      if (Array.isArray(after))
        throw new InvalidRequest(ErrorCode.PARAM_REPEATED, 'The after parameter is repeated.');
      return send(
        reply,
        await endpoints.revocationFeed({ authorization: request.headers.authorization, after }),
      );
    },
  );
  app.get(PATHS.oauthMetadata, async (_request, reply) => send(reply, await endpoints.discovery()));
  app.get(PATHS.openidMetadata, async (_request, reply) => send(reply, await endpoints.discovery()));
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (request, reply) => {
    try {
      await endpoints.ready();
      return { status: 'ready' };
    } catch (error) {
      request.log.warn({ reqId: request.id, err: error }, 'store is not answering');
      return reply.status(503).send({ status: 'unavailable' });
    }
  });

  return app;
}

function endpointRequest(
  request: FastifyRequest,
  clientCertificates: ClientCertificateReader | undefined,
): EndpointRequest {
  if (request.url.includes('?')) {
    throw new InvalidRequest(
      ErrorCode.CREDENTIAL_IN_URL,
      'Send parameters in the request body, never in the URL.',
    );
  }
  if (!(request.body instanceof URLSearchParams)) {
    throw new InvalidRequest(
      ErrorCode.CONTENT_TYPE,
      'Send parameters as application/x-www-form-urlencoded in the request body.',
    );
  }
  // Node keeps only the first of repeated Authorization headers; the raw list shows them all.
  if (headerValues(request, 'authorization').length > 1) {
    throw new InvalidRequest(ErrorCode.REQUEST_MALFORMED, 'Send one Authorization header.');
  }
  return {
    form: request.body,
    authorization: request.headers.authorization,
    dpopProofs: headerValues(request, 'dpop'),
    clientCertificate: clientCertificates?.read(request.raw.socket, request.raw.rawHeaders),
  };
}

/** Asks for client certificates when there is a CA for them, and leaves judging them to us. */
function httpsOptions(https: NonNullable<HttpAppOptions['https']>) {
  const { ca, ...pair } = https;
  return ca === undefined ? pair : { ...pair, ca, requestCert: true, rejectUnauthorized: false };
}

/** Every value of a header, repeats included: Node keeps only the first of some in `headers`. */
function headerValues(request: FastifyRequest, name: string): string[] {
  const { rawHeaders } = request.raw;
  const values: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]?.toLowerCase() === name) values.push(rawHeaders[i + 1] ?? '');
  }
  return values;
}

function send(reply: FastifyReply, response: EndpointResponse): FastifyReply {
  reply.status(response.status);
  if (response.headers) reply.headers(response.headers);
  return response.body === undefined ? reply.send() : reply.send(response.body);
}
