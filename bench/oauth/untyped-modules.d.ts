/**
 * The little of `autocannon` and `oidc-provider` the benchmark uses: neither ships type
 * declarations and their `@types` packages are not installed.
 */

declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  interface Request {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string;
    setupRequest?: (request: Request & Record<string, unknown>) => (Request & Record<string, unknown>) | null;
  }

  interface Options {
    url: string;
    connections?: number;
    pipelining?: number;
    duration?: number;
    timeout?: number;
    requests?: Request[];
    verifyBody?: (body: string) => boolean;
  }

  interface Histogram {
    average: number;
    p50: number;
    p99: number;
  }

  interface Result {
    errors: number;
    timeouts: number;
    mismatches: number;
    non2xx: number;
    '2xx'?: number;
    statusCodeStats?: Record<string, { count: number }>;
    latency: Histogram;
    requests: Histogram;
  }

  type Instance = EventEmitter & PromiseLike<Result>;

  export default function autocannon(options: Options): Instance;
}

declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
  }

  export const errors: {
    InvalidTarget: new (description?: string) => Error;
  };
}
