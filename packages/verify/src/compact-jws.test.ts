import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCompactJwsParser, parseCompactJws } from './compact-jws.js';
import { Rejection } from './rejection.js';

const seg = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const HEADER = seg({ alg: 'HS256', kid: 'k' });

describe('parseCompactJws', () => {
  it('splits a compact JWS and keeps the received signing input', () => {
    const result = parseCompactJws(`${HEADER}.${seg({ a: 1 })}.AAAA`);
    assert.ok(result.ok);
    assert.equal(result.value.header.alg, 'HS256');
    assert.equal(result.value.header.kid, 'k');
    assert.equal(result.value.signingInput.toString('latin1'), `${HEADER}.${seg({ a: 1 })}`);
    assert.deepEqual(result.value.payload, Buffer.from('{"a":1}'));
    assert.deepEqual(result.value.signature, Buffer.from([0, 0, 0]));
  });

  it('allows an empty payload (a JWS may have one; a JWT may not)', () => {
    const result = parseCompactJws(`${HEADER}..AAAA`);
    assert.ok(result.ok && result.value.payload.length === 0);
  });

  it('refuses empty header or signature segments and wrong segment counts', () => {
    for (const token of [
      `.${seg({})}.AAAA`,
      `${HEADER}.${seg({})}.`,
      `${HEADER}.${seg({})}`,
      `${HEADER}`,
      `${HEADER}.a.b.c`,
      '..',
    ]) {
      assert.deepEqual(parseCompactJws(token), { ok: false, reason: Rejection.SHAPE }, token);
    }
  });

  it('caps the length before looking at anything else', () => {
    const parse = createCompactJwsParser({ maxLength: 64 });
    assert.deepEqual(parse('!'.repeat(65)), { ok: false, reason: Rejection.TOO_LONG });
    assert.deepEqual(parse('!'.repeat(64)), { ok: false, reason: Rejection.SHAPE });
    assert.deepEqual(parseCompactJws('A'.repeat(8193)), { ok: false, reason: Rejection.TOO_LONG });
  });

  it('remembers headers up to its bound and returns the same frozen header', () => {
    const parse = createCompactJwsParser({ headerCacheSize: 2 });
    const first = parse(`${HEADER}.${seg({ a: 1 })}.AAAA`);
    const second = parse(`${HEADER}.${seg({ a: 2 })}.AAAA`);
    assert.ok(first.ok && second.ok);
    assert.equal(first.value.header, second.value.header);
    assert.ok(Object.isFrozen(first.value.header) && Object.isFrozen(first.value.header.members));
    for (let index = 0; index < 10; index += 1)
      parse(`${seg({ alg: 'HS256', kid: `k${index}` })}.${seg({})}.AAAA`);
    const third = parse(`${HEADER}.${seg({ a: 3 })}.AAAA`);
    assert.ok(third.ok && third.value.header !== first.value.header, 'evicted and parsed again');
  });

  it('never mixes up two alternating headers', () => {
    const parse = createCompactJwsParser({ headerCacheSize: 8 });
    const other = seg({ alg: 'HS256', kid: 'kk' });
    for (const [header, kid] of [
      [HEADER, 'k'],
      [other, 'kk'],
      [HEADER, 'k'],
      [`${HEADER}A`, null],
      [other, 'kk'],
    ] as const) {
      const result = parse(`${header}.${seg({})}.AAAA`);
      if (kid === null) assert.equal(result.ok, false);
      else assert.ok(result.ok && result.value.header.kid === kid);
    }
  });

  it('refuses bad limits', () => {
    assert.throws(() => createCompactJwsParser({ maxLength: 0 }), TypeError);
    assert.throws(() => createCompactJwsParser({ headerCacheSize: -1 }), TypeError);
  });
});
