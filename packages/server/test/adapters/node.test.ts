/**
 * The node:http adapter over the real wire: `withAuth` around one listener per route, the
 * caller as the listener's third argument.
 */
import { createServer, type RequestListener } from 'node:http';
import { withAuth } from '@tessera/verify/node';
import { describeAdapter, listen, ROUTES } from './adapter-contract.js';

describeAdapter(
  'node:http adapter',
  { seesFormBody: false, logsToConsole: true },
  async (verifier, calls) => {
    const listeners = new Map<string, RequestListener>(
      ROUTES.map((route) => [
        `${route.method} ${route.path}`,
        withAuth(
          verifier,
          (_req, res, identity) => {
            res.setHeader('content-type', 'application/json');
            res.end(JSON.stringify(calls.record(identity)));
          },
          route.policy,
        ),
      ]),
    );
    return listen(
      createServer((req, res) => {
        const listener = listeners.get(`${req.method} ${req.url?.split('?', 1)[0]}`);
        if (listener) listener(req, res);
        else res.writeHead(404).end();
      }),
    );
  },
);
