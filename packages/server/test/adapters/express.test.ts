/**
 * The Express adapter over the real wire: `requireAuth` in front of each route, the caller in
 * `req.auth`.
 */
import { createServer } from 'node:http';
import { requireAuth } from '@tessera/verify/express';
import express from 'express';
import { describeAdapter, listen, ROUTES } from './adapter-contract.js';

describeAdapter('express adapter', { seesFormBody: true, logsToConsole: true }, async (verifier, calls) => {
  const app = express();
  app.use(express.urlencoded({ extended: false }));
  const router = express.Router();
  for (const route of ROUTES) {
    const method = route.method === 'GET' ? 'get' : 'post';
    router[method](route.path.replace(/^\/v1/, ''), requireAuth(verifier, route.policy), (req, res) => {
      res.json(calls.record(req.auth));
    });
  }
  // Mounted, so that Express rewrites `req.url`: the adapter must still see the query as sent.
  app.use('/v1', router);
  return listen(createServer(app));
});
