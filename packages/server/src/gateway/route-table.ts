/**
 * The gateway's routes, matched exactly on method and path.
 */
import type { GatewayRoute } from './gateway-config.js';

/**
 * Exact route matching. The path is compared as received, without its query string and
 * without any normalisation: `/v1/charges/`, `//v1/charges`, `/v1/%63harges` and
 * `/v1/x/../charges` are other paths than `/v1/charges`. Why: the upstream may decode or
 * normalise differently from us, and whatever we would rewrite, we would also have to
 * forward rewritten; refusing every variant keeps what was checked identical to what is
 * forwarded.
 *
 * @example
 * ```ts
 * const table = new RouteTable([{ method: 'GET', path: '/v1/charges', scopes: ['read'], public: false }]);
 * table.match('GET', '/v1/charges?limit=2'); // → that route
 * table.match('GET', '/v1/charges/'); // → undefined
 * ```
 */
export class RouteTable {
  readonly #routes = new Map<string, GatewayRoute>();

  constructor(routes: readonly GatewayRoute[]) {
    for (const route of routes) this.#routes.set(`${route.method} ${route.path}`, route);
  }

  /** The route for a request target (`path?query`), or `undefined`. */
  match(method: string, target: string): GatewayRoute | undefined {
    const query = target.indexOf('?');
    const path = query === -1 ? target : target.slice(0, query);
    return this.#routes.get(`${method} ${path}`);
  }

  /** Every route, in configuration order. */
  routes(): IterableIterator<GatewayRoute> {
    return this.#routes.values();
  }
}

/** `GET /v1/charges`, as logs name a route. */
export const routeName = (route: GatewayRoute) => `${route.method} ${route.path}`;
