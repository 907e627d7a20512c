import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { deriveSigV4SigningKey, verifySigV4Request } from '@tessera/core';
import { createSigV4Fetch } from './sigv4-fetch.js';

const ID = 'TKIATESTKEY0000000001';
const SECRET = 'c2VjcmV0LWZvci10ZXN0cy1vbmx5LTAxMjM0NTY3';
const NOW = Date.UTC(2026, 0, 15, 10, 0, 0);

interface Sent {
  readonly url: string;
  readonly init: RequestInit;
}

/** A signed fetch whose calls are captured instead of sent. */
function capturing(now = NOW) {
  const sent: Sent[] = [];
  const signedFetch = createSigV4Fetch({
    accessKeyId: ID,
    secretAccessKey: SECRET,
    region: 'local',
    service: 'billing',
    now: () => now,
    fetch: async (url, init) => {
      sent.push({ url: String(url), init: init ?? {} });
      return new Response('ok');
    },
  });
  return { signedFetch, sent };
}

/** Verifies a captured call the way a server would see it. */
async function verify(call: Sent) {
  const url = new URL(call.url);
  const headers = new Headers(call.init.headers);
  const body = call.init.body;
  assert.ok(body === null || body === undefined || body instanceof Uint8Array, 'the body is sent as bytes');
  return verifySigV4Request(
    {
      method: call.init.method ?? 'GET',
      target: `${url.pathname}${url.search}`,
      rawHeaders: ['Host', url.host, ...[...headers].flat()],
      body: body ?? new Uint8Array(),
    },
    {
      region: 'local',
      service: 'billing',
      now: NOW,
      signingKeyFor: (id, date, region, service) =>
        id === ID ? deriveSigV4SigningKey(SECRET, date, region, service) : undefined,
      seen: () => false,
    },
  );
}

describe('createSigV4Fetch', () => {
  it('signs a GET and hands it to fetch', async () => {
    const { signedFetch, sent } = capturing();
    const response = await signedFetch('http://127.0.0.1:8081/v1/charges?limit=10&b=a%20b');
    assert.equal(await response.text(), 'ok');
    const [call] = sent;
    assert.ok(call);
    const headers = new Headers(call.init.headers);
    assert.match(
      headers.get('authorization') ?? '',
      /^AWS4-HMAC-SHA256 Credential=TKIATESTKEY0000000001\/20260115\/local\/billing\/aws4_request, /,
    );
    assert.equal(headers.get('x-amz-date'), '20260115T100000Z');
    const result = await verify(call);
    assert.ok(result.ok, result.ok ? '' : result.error.detail);
  });

  it('signs bodies of every buffered kind, and the content-type fetch derives from them', async () => {
    const form = new FormData();
    form.append('field', 'value');
    const bodies: RequestInit['body'][] = [
      '{"amount":100}',
      new Uint8Array([0, 1, 2, 255]),
      new URLSearchParams({ a: '1', b: 'x y' }),
      new Blob(['blob body']),
      form,
      new Uint8Array([1, 2, 3]).buffer,
    ];
    for (const body of bodies) {
      const { signedFetch, sent } = capturing();
      await signedFetch('http://127.0.0.1:8081/v1/charges', { method: 'POST', body });
      const [call] = sent;
      assert.ok(call);
      const result = await verify(call);
      assert.ok(result.ok, result.ok ? '' : result.error.detail);
      if (typeof body === 'string' || body instanceof URLSearchParams || body instanceof FormData) {
        assert.ok(result.value.signedHeaders.includes('content-type'), 'content-type is signed');
      }
    }
  });

  it('signs a Request passed as input, body and headers included', async () => {
    const { signedFetch, sent } = capturing();
    const request = new Request('http://127.0.0.1:8081/v1/charges', {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-request-id': 'req-1' },
      body: '{"amount":5}',
    });
    await signedFetch(request);
    const [call] = sent;
    assert.ok(call);
    assert.equal(call.init.method, 'PUT');
    const result = await verify(call);
    assert.ok(result.ok, result.ok ? '' : result.error.detail);
    assert.deepEqual(result.value.signedHeaders, [
      'content-type',
      'host',
      'x-amz-content-sha256',
      'x-amz-date',
      'x-request-id',
    ]);
  });

  it('signs what fetch will send: the normalised URL and the method as given', async () => {
    const { signedFetch, sent } = capturing();
    await signedFetch('http://127.0.0.1:8081/v1/./x/../charges/é?q=é', { method: 'patch' });
    const [call] = sent;
    assert.ok(call);
    assert.equal(call.url, 'http://127.0.0.1:8081/v1/charges/%C3%A9?q=%C3%A9');
    assert.equal(call.init.method, 'patch');
    const result = await verify(call);
    assert.ok(result.ok, result.ok ? '' : result.error.detail);
  });

  it("passes the caller's other options through", async () => {
    const { signedFetch, sent } = capturing();
    const controller = new AbortController();
    await signedFetch('http://127.0.0.1:8081/v1/charges', {
      redirect: 'manual',
      signal: controller.signal,
      keepalive: true,
      dispatcher: 'custom',
    } as unknown as RequestInit);
    const [call] = sent;
    assert.ok(call);
    assert.equal(call.init.redirect, 'manual');
    assert.equal(call.init.keepalive, true);
    assert.equal((call.init as { dispatcher?: unknown }).dispatcher, 'custom');
    controller.abort();
    assert.equal(call.init.signal?.aborted, true);
  });

  it('uses its clock', async () => {
    const { signedFetch, sent } = capturing(NOW - 3_600_000);
    await signedFetch('http://127.0.0.1:8081/v1/charges');
    const [call] = sent;
    assert.ok(call);
    assert.equal(new Headers(call.init.headers).get('x-amz-date'), '20260115T090000Z');
    const result = await verify(call);
    assert.equal(result.ok ? 'accepted' : result.error.reason, 'date_too_old');
  });

  it('refuses streamed bodies clearly instead of buffering them', async () => {
    const { signedFetch, sent } = capturing();
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('chunk'));
        controller.close();
      },
    });
    for (const body of [stream, Readable.from(['chunk'])]) {
      await assert.rejects(
        signedFetch('http://127.0.0.1:8081/upload', {
          method: 'POST',
          body: body as never,
          duplex: 'half',
        } as RequestInit),
        /cannot sign a streamed body/,
      );
    }
    assert.equal(sent.length, 0);
  });

  it('refuses what cannot be signed, before sending anything', async () => {
    const { signedFetch, sent } = capturing();
    await assert.rejects(signedFetch('http://127.0.0.1:8081/v1//charges'), TypeError);
    await assert.rejects(
      signedFetch('http://127.0.0.1:8081/v1', { headers: { authorization: 'Bearer x' } }),
      /signer sets authorization/,
    );
    assert.equal(sent.length, 0);
  });

  it('validates its options once', () => {
    const good = { accessKeyId: ID, secretAccessKey: SECRET, region: 'local', service: 'billing' };
    assert.throws(() => createSigV4Fetch({ ...good, accessKeyId: '' }), TypeError);
    assert.throws(() => createSigV4Fetch({ ...good, secretAccessKey: '' }), TypeError);
    assert.throws(() => createSigV4Fetch({ ...good, region: 'a/b' }), TypeError);
    assert.throws(() => createSigV4Fetch({ ...good, service: '' }), TypeError);
    assert.throws(() => createSigV4Fetch({ ...good, fetch: 'nope' as never }), TypeError);
  });
});
