import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { BrowserRequest, BrowserResponse, createBrowserFlow } from '../endpoints/browser-flow.js';
import { PATHS } from '../endpoints/paths.js';
import { clientAddress, trustedAddresses } from './client-address.js';
import { cookieNames, parseCookies, setCookie } from './cookies.js';
import { pageHeaders } from './pages/page-headers.js';
import { renderView } from './render-view.js';

type BrowserFlow = ReturnType<typeof createBrowserFlow>;
type Step = (request: BrowserRequest) => Promise<BrowserResponse>;

/**
 * The routes a browser visits: the authorization endpoint, sign-in, consent, account and
 * logout pages. `secure` (an https issuer) makes the cookies `Secure` and `__Host-`;
 * behind one of `trustedProxies`, the client's address is taken from `X-Forwarded-For`.
 */
export function registerBrowserRoutes(
  app: FastifyInstance,
  flow: BrowserFlow,
  secure: boolean,
  trustedProxies: readonly string[] = [],
): void {
  const names = cookieNames(secure);
  const proxies = trustedAddresses(trustedProxies);

  const fromQuery = (step: Step) => async (request: FastifyRequest, reply: FastifyReply) =>
    send(reply, await step(browserRequest(request, queryOf(request))));
  const fromForm = (step: Step) => async (request: FastifyRequest, reply: FastifyReply) =>
    send(reply, await step(browserRequest(request, formOf(request))));

  // No HEAD twins: a HEAD /authorize would issue a code the client never sees.
  const getOnly = { exposeHeadRoute: false };
  app.get(PATHS.authorization, getOnly, fromQuery(flow.authorize));
  // OpenID Connect Core §3.1.2.1: the authorization endpoint takes POST too.
  app.post(PATHS.authorization, fromForm(flow.authorize));
  app.post(PATHS.login, fromForm(flow.login));
  app.post(PATHS.consent, fromForm(flow.consent));
  app.get(PATHS.account, getOnly, fromQuery(flow.account));
  app.post(PATHS.accountRevoke, fromForm(flow.revokeAccess));
  app.get(PATHS.endSession, getOnly, fromQuery(flow.logoutPrompt));
  app.post(PATHS.endSession, fromForm(flow.logout));

  function browserRequest(request: FastifyRequest, params: URLSearchParams): BrowserRequest {
    const cookies = parseCookies(request.headers.cookie);
    return {
      params,
      sessionCookie: cookies.get(names.session),
      csrfCookie: cookies.get(names.csrf),
      // Node joins repeated X-Forwarded-For headers, in order, with commas.
      address: clientAddress(request.ip, request.headers['x-forwarded-for'] as string | undefined, proxies),
    };
  }

  function send(reply: FastifyReply, response: BrowserResponse): FastifyReply {
    const cookies: string[] = [];
    if (response.session !== undefined) cookies.push(setCookie(names.session, response.session, secure));
    if (response.csrf !== undefined) cookies.push(setCookie(names.csrf, response.csrf, secure));
    if (cookies.length > 0) void reply.header('set-cookie', cookies);
    void reply.headers(pageHeaders({ formActions: response.formActions ?? [] }));
    void reply.status(response.status);
    if (response.location !== undefined) return reply.header('location', response.location).send();
    return reply.send(response.view === undefined ? '' : renderView(response.view));
  }
}

function queryOf(request: FastifyRequest): URLSearchParams {
  const at = request.url.indexOf('?');
  return new URLSearchParams(at < 0 ? '' : request.url.slice(at + 1));
}

function formOf(request: FastifyRequest): URLSearchParams {
  return request.body instanceof URLSearchParams ? request.body : new URLSearchParams();
}
