/**
 * The hostile side of SigV4 interop, over real HTTP: requests signed by @smithy/signature-v4,
 * aws4, curl and createSigV4Fetch, then tampered with, sent with a skewed clock, signed
 * without `host`, replayed, or signed with the wrong secret. Each is refused with a 4xx
 * and a precise reason; never a 5xx.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { createSigV4Fetch } from '@tessera/client';
import aws4 from 'aws4';
import {
  ACCESS_KEY_ID,
  answerOf,
  curl,
  headerOf,
  REGION,
  type Received,
  SECRET_ACCESS_KEY,
  SERVICE,
  type SigV4TestServer,
  sendRaw,
  startSigV4TestServer,
  withHeader,
} from './sigv4-test-server.js';

const SIX_MINUTES = 6 * 60_000;
const FOUR_MINUTES = 4 * 60_000;

const smithy = new SignatureV4({
  credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY },
  region: REGION,
  service: SERVICE,
  sha256: Sha256,
});

function clientAt(offsetMs: number) {
  return createSigV4Fetch({
    accessKeyId: ACCESS_KEY_ID,
    secretAccessKey: SECRET_ACCESS_KEY,
    region: REGION,
    service: SERVICE,
    now: () => Date.now() + offsetMs,
  });
}

async function smithySigned(
  server: SigV4TestServer,
  input: {
    method?: string;
    path?: string;
    body?: string;
    signingDate?: Date;
    unsignableHeaders?: Set<string>;
  },
) {
  const method = input.method ?? 'GET';
  const headers: Record<string, string> = { host: `127.0.0.1:${server.port}` };
  if (input.body !== undefined) headers['content-type'] = 'application/json';
  const signed = (await smithy.sign(
    new HttpRequest({
      method,
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: server.port,
      path: input.path ?? '/v1/charges',
      headers,
      body: input.body,
    }),
    {
      ...(input.signingDate ? { signingDate: input.signingDate } : {}),
      ...(input.unsignableHeaders ? { unsignableHeaders: input.unsignableHeaders } : {}),
    },
  )) as HttpRequest;
  return answerOf(
    await fetch(`${server.origin}${input.path ?? '/v1/charges'}`, {
      method,
      headers: signed.headers,
      body: input.body,
    }),
  );
}

describe('SigV4 over HTTP: hostile requests', () => {
  let server: SigV4TestServer;
  before(async () => {
    server = await startSigV4TestServer();
  });
  after(() => server.close());

  /** Sends with curl, checks it was accepted, and returns what the server received. */
  async function acceptedCurl(args: string[]): Promise<Received> {
    const answer = await curl(args);
    assert.equal(answer.status, 200, answer.reason);
    const received = server.received.at(-1);
    assert.ok(received);
    return received;
  }

  describe('tampering', () => {
    it('refuses a curl request whose body, path, query, method or signed header was changed', async () => {
      const original = await acceptedCurl([
        '-X',
        'POST',
        '-H',
        'content-type: application/json',
        '--data-binary',
        '{"amount":100}',
        `${server.origin}/v1/charges?currency=eur`,
      ]);
      const changes: Array<[string, Received]> = [
        ['body', { ...original, body: Buffer.from('{"amount":999}') }],
        ['path', { ...original, target: '/v1/refunds?currency=eur' }],
        ['query', { ...original, target: '/v1/charges?currency=usd' }],
        ['method', { ...original, method: 'PUT' }],
        ['content-type', withHeader(original, 'content-type', 'text/plain')],
        ['host', withHeader(original, 'host', 'billing.example.com')],
      ];
      for (const [what, changed] of changes) {
        const answer = await sendRaw(server.port, changed);
        assert.deepEqual([answer.status, answer.reason], [401, 'signature_mismatch'], what);
      }
    });

    it('refuses a smithy request whose body no longer matches X-Amz-Content-Sha256', async () => {
      assert.equal((await smithySigned(server, { method: 'POST', body: '{"amount":1}' })).status, 200);
      const original = server.received.at(-1);
      assert.ok(original);
      const answer = await sendRaw(server.port, { ...original, body: Buffer.from('{"amount":2}') });
      assert.deepEqual([answer.status, answer.reason], [401, 'payload_hash_mismatch']);
    });

    it('refuses a changed X-Amz-Date, even within the window', async () => {
      const original = await acceptedCurl([`${server.origin}/v1/charges?date=1`]);
      const date = headerOf(original, 'x-amz-date') ?? '';
      const earlier = new Date(
        Date.UTC(
          +date.slice(0, 4),
          +date.slice(4, 6) - 1,
          +date.slice(6, 8),
          +date.slice(9, 11),
          +date.slice(11, 13),
          +date.slice(13, 15),
        ) - 1000,
      );
      const shifted = earlier.toISOString().replace(/[-:]|\.\d{3}/g, '');
      const answer = await sendRaw(server.port, withHeader(original, 'x-amz-date', shifted));
      assert.equal(answer.status, 401);
      assert.ok(['signature_mismatch', 'scope_mismatch'].includes(answer.reason ?? ''), answer.reason);
    });

    it('refuses the wrong secret and an unknown access key alike', async () => {
      const wrongSecret = await curl([`${server.origin}/v1/charges`], `${ACCESS_KEY_ID}:not-the-secret`);
      const unknownKey = await curl(
        [`${server.origin}/v1/charges`],
        `TKIAUNKNOWN000000000:${SECRET_ACCESS_KEY}`,
      );
      assert.deepEqual([wrongSecret.status, wrongSecret.reason], [401, 'signature_mismatch']);
      assert.deepEqual([unknownKey.status, unknownKey.reason], [401, 'signature_mismatch']);
    });
  });

  describe('skewed clocks', () => {
    it('refuses a client clock more than five minutes off, both ways (smithy, our client)', async () => {
      assert.equal(
        (await smithySigned(server, { signingDate: new Date(Date.now() - SIX_MINUTES) })).reason,
        'date_too_old',
      );
      assert.equal(
        (await smithySigned(server, { signingDate: new Date(Date.now() + SIX_MINUTES) })).reason,
        'date_too_new',
      );
      const behind = await answerOf(await clientAt(-SIX_MINUTES)(`${server.origin}/v1/charges?skew=behind`));
      const ahead = await answerOf(await clientAt(SIX_MINUTES)(`${server.origin}/v1/charges?skew=ahead`));
      assert.deepEqual([behind.status, behind.reason], [401, 'date_too_old']);
      assert.deepEqual([ahead.status, ahead.reason], [401, 'date_too_new']);
    });

    it('accepts a clock four minutes off, both ways', async () => {
      assert.equal(
        (await smithySigned(server, { path: '/v1/a', signingDate: new Date(Date.now() - FOUR_MINUTES) }))
          .status,
        200,
      );
      assert.equal(
        (await smithySigned(server, { path: '/v1/b', signingDate: new Date(Date.now() + FOUR_MINUTES) }))
          .status,
        200,
      );
    });

    it('refuses curl when the server clock is more than five minutes off, both ways', async () => {
      try {
        server.clockOffsetMs = SIX_MINUTES;
        const late = await curl([`${server.origin}/v1/charges?skew=server-ahead`]);
        server.clockOffsetMs = -SIX_MINUTES;
        const early = await curl([`${server.origin}/v1/charges?skew=server-behind`]);
        assert.deepEqual([late.status, late.reason], [401, 'date_too_old']);
        assert.deepEqual([early.status, early.reason], [401, 'date_too_new']);
      } finally {
        server.clockOffsetMs = 0;
      }
    });
  });

  describe('signed headers', () => {
    it('refuses a signature that leaves host out (smithy, aws4)', async () => {
      const fromSmithy = await smithySigned(server, {
        path: '/v1/no-host',
        unsignableHeaders: new Set(['host']),
      });
      assert.deepEqual([fromSmithy.status, fromSmithy.reason], [401, 'signed_headers_invalid']);
      // extraHeadersToIgnore is an aws4 option its type definitions do not list.
      const withoutHost = {
        host: '127.0.0.1',
        port: server.port,
        path: '/v1/no-host-aws4',
        service: SERVICE,
        region: REGION,
        extraHeadersToIgnore: { host: true },
      };
      const signed = aws4.sign(withoutHost, {
        accessKeyId: ACCESS_KEY_ID,
        secretAccessKey: SECRET_ACCESS_KEY,
      });
      assert.match(String(signed.headers?.Authorization), /SignedHeaders=x-amz-date,/);
      const answer = await answerOf(
        await fetch(`${server.origin}${signed.path}`, { headers: signed.headers as Record<string, string> }),
      );
      assert.deepEqual([answer.status, answer.reason], [401, 'signed_headers_invalid']);
    });

    it('refuses a request missing a header it signed', async () => {
      const original = await acceptedCurl([
        '-H',
        'x-request-id: req-7',
        `${server.origin}/v1/charges?signed=header`,
      ]);
      const answer = await sendRaw(server.port, withHeader(original, 'x-request-id', null));
      assert.deepEqual([answer.status, answer.reason], [401, 'signed_header_missing']);
    });

    it('refuses two Authorization headers with 400', async () => {
      const original = await acceptedCurl([`${server.origin}/v1/charges?twice=1`]);
      const authorization = headerOf(original, 'authorization') ?? '';
      const answer = await sendRaw(server.port, {
        ...original,
        rawHeaders: [...original.rawHeaders, 'Authorization', authorization],
      });
      assert.deepEqual([answer.status, answer.reason], [400, 'header_repeated']);
    });

    it('refuses presigned URLs with 400', async () => {
      const presigned = await smithy.presign(
        new HttpRequest({
          method: 'GET',
          protocol: 'http:',
          hostname: '127.0.0.1',
          port: server.port,
          path: '/v1/charges',
          headers: { host: `127.0.0.1:${server.port}` },
        }),
      );
      const query = new URLSearchParams(presigned.query as Record<string, string>).toString();
      const answer = await answerOf(await fetch(`${server.origin}/v1/charges?${query}`));
      assert.deepEqual([answer.status, answer.reason], [400, 'signature_in_query']);
    });
  });

  describe('replays', () => {
    it('refuses an exact replay of a curl, smithy and our client request inside the window', async () => {
      const fromCurl = await acceptedCurl([`${server.origin}/v1/charges?replay=curl`]);
      assert.equal((await smithySigned(server, { path: '/v1/replay-smithy' })).status, 200);
      const fromSmithy = server.received.at(-1);
      const fromClient = await answerOf(
        await clientAt(0)(`${server.origin}/v1/replay-client`, { method: 'POST', body: 'x' }),
      );
      assert.equal(fromClient.status, 200);
      const fromOurs = server.received.at(-1);
      for (const original of [fromCurl, fromSmithy, fromOurs]) {
        assert.ok(original);
        const answer = await sendRaw(server.port, original);
        assert.deepEqual([answer.status, answer.reason], [401, 'replayed'], original.target);
      }
    });
  });
});
