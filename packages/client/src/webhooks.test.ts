import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { generateWebhookSecret } from '@tessera/core';
import { Webhook } from 'standardwebhooks';
import { signedWebhookHeaders, verifyWebhookRequest } from './webhooks.js';

const payload = '{"type":"invoice.paid","data":{"id":"in_1","amount":4200}}';

describe('signedWebhookHeaders', () => {
  it('stamps a fresh msg_ id and the current second, signed for the exact payload', () => {
    const secret = generateWebhookSecret();
    const now = new Date('2024-05-01T12:00:00.750Z');
    const headers = signedWebhookHeaders(payload, secret, { now });
    assert.match(headers['webhook-id'], /^msg_[A-Za-z0-9_-]{22}$/);
    assert.equal(headers['webhook-timestamp'], String(Math.floor(now.getTime() / 1000)));
    assert.match(headers['webhook-signature'], /^v1,[A-Za-z0-9+/]{43}=$/);
    assert.notEqual(signedWebhookHeaders(payload, secret)['webhook-id'], headers['webhook-id']);
  });

  it('keeps a given id, as a retried delivery must', () => {
    const headers = signedWebhookHeaders(payload, generateWebhookSecret(), { id: 'msg_retry_me' });
    assert.equal(headers['webhook-id'], 'msg_retry_me');
  });

  it('is accepted by the standardwebhooks package, also with two secrets', () => {
    const [next, previous] = [generateWebhookSecret(), generateWebhookSecret()];
    const headers = signedWebhookHeaders(payload, [next, previous]);
    for (const secret of [next, previous]) {
      assert.doesNotThrow(() => new Webhook(secret).verify(payload, { ...headers }));
    }
  });

  it('refuses an invalid clock', () => {
    assert.throws(
      () => signedWebhookHeaders(payload, generateWebhookSecret(), { now: new Date('x') }),
      TypeError,
    );
  });
});

describe('verifyWebhookRequest', () => {
  const secret = generateWebhookSecret();

  it('accepts fetch Headers with the body as an ArrayBuffer', async () => {
    const request = new Request('https://receiver.example/webhooks', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signedWebhookHeaders(payload, secret) },
      body: payload,
    });
    const result = verifyWebhookRequest(request.headers, await request.arrayBuffer(), secret);
    assert.equal(result.ok, true);
  });

  it('accepts what the standardwebhooks package signs', () => {
    const id = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
    const now = new Date();
    const headers = new Headers({
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': new Webhook(secret).sign(id, now, payload),
    });
    const result = verifyWebhookRequest(headers, Buffer.from(payload), secret);
    assert.deepEqual(result.ok && result.value.id, id);
  });

  it('refuses a parsed body, or none, with a TypeError that says what to pass', () => {
    const headers = signedWebhookHeaders(payload, secret);
    assert.throws(() => verifyWebhookRequest(headers, JSON.parse(payload), secret), /raw body/);
    assert.throws(() => verifyWebhookRequest(headers, undefined as unknown as string, secret), /missing/);
  });

  it('passes the tolerance options through', () => {
    const headers = signedWebhookHeaders(payload, secret, { now: new Date('2024-05-01T12:00:00Z') });
    const result = verifyWebhookRequest(headers, payload, secret, { now: new Date('2024-05-01T12:10:00Z') });
    assert.equal(!result.ok && result.error.reason, 'timestamp_too_old');
    const wider = verifyWebhookRequest(headers, payload, secret, {
      now: new Date('2024-05-01T12:10:00Z'),
      toleranceSeconds: 600,
    });
    assert.equal(wider.ok, true);
  });
});

describe('a webhook over real HTTP', () => {
  const secret = generateWebhookSecret();
  const received: { status: number; body: unknown }[] = [];
  const server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const result = verifyWebhookRequest(req.headers, Buffer.concat(chunks), secret);
    const [status, body] = result.ok ? [204, result.value] : [result.error.status, result.error.toJSON()];
    received.push({ status, body });
    res
      .writeHead(status, { 'content-type': 'application/json' })
      .end(status === 204 ? undefined : JSON.stringify(body));
  });
  let url = '';

  before(async () => {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`;
  });
  after(() => server.close());

  const send = (headers: Record<string, string>, body: string) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  it('is accepted as sent, byte for byte', async () => {
    const body = '{"name": "Zoë",   "spaces": "kept"}';
    const response = await send({ ...signedWebhookHeaders(body, secret, { id: 'msg_wire' }) }, body);
    assert.equal(response.status, 204);
    assert.equal((received.at(-1)?.body as { id?: string } | undefined)?.id, 'msg_wire');
  });

  it('is refused with a precise reason when tampered with, or when a header goes missing', async () => {
    const headers = signedWebhookHeaders(payload, secret);
    const tampered = await send(headers, payload.replace('4200', '42000'));
    assert.equal(tampered.status, 401);
    assert.deepEqual(await tampered.json(), {
      error: 'invalid_signature',
      error_description: 'No webhook signature matches.',
    });
    const { 'webhook-timestamp': _dropped, ...withoutTimestamp } = headers;
    const missing = await send(withoutTimestamp, payload);
    assert.equal(missing.status, 401);
    assert.equal(
      ((await missing.json()) as { error_description: string }).error_description,
      'The webhook-timestamp header is missing.',
    );
  });
});
