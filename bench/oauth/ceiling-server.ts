/**
 * The load generator's ceiling: an HTTP server that does no OAuth work, answering every POST with a
 * canned introspection-sized JSON body. Loading it exactly like an introspection phase shows how many
 * requests/s this process can generate on its core; a server measured near that figure is limited by
 * the load generator, not by itself.
 *
 * ```sh
 * node bench/oauth/ceiling-server.ts   # prints `ceiling server listening on http://127.0.0.1:PORT`
 * ```
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const body = JSON.stringify({
  active: true,
  client_id: 'bench',
  exp: 1_900_000_000,
  iat: 1_899_999_400,
  iss: 'http://127.0.0.1:8080',
  jti: 'cannedcannedcannedcanne',
  aud: 'bench-api',
  scope: 'read',
  token_type: 'Bearer',
});

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
    });
    res.end(body);
  });
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  console.log(`ceiling server listening on http://127.0.0.1:${port}`);
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
