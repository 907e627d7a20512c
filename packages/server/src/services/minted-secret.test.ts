import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SecretKind, SecretMinter } from './minted-secret.js';

const minter = new SecretMinter(randomBytes(32), randomBytes(32));
const KINDS = Object.values(SecretKind);
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** `<kind>_<256 random bits>.<128-bit MAC>`, as the class documents it. */
const SHAPE = /^([a-z]{3})_([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{22})$/;

const kind = fc.constantFrom(...KINDS);
/** Any character a mistyped or forged secret could hold in one position. */
const anyChar = fc.oneof(
  fc.constantFrom(...B64URL, '.', '_', ' ', '\t', '\n', '=', '+', '/', '%', '\0'),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
);

describe('SecretMinter', () => {
  it('mints values of the documented shape that carry their kind', () => {
    for (const k of KINDS) {
      const secret = minter.mint(k);
      const match = SHAPE.exec(secret);
      assert.ok(match, secret);
      assert.equal(match[1], k);
      assert.equal(Buffer.from(match[2] ?? '', 'base64url').length, 32);
      assert.equal(Buffer.from(match[3] ?? '', 'base64url').length, 16);
    }
  });

  it('mints a different value every time', () => {
    const secrets = new Set(Array.from({ length: 50 }, () => minter.mint(SecretKind.clientSecret)));
    assert.equal(secrets.size, 50);
  });

  it('accepts its own values for their kind', () => {
    fc.assert(fc.property(kind, (k) => minter.isAuthentic(minter.mint(k), k)));
  });

  it('refuses a value of another kind, even with the kind prefix rewritten', () => {
    const [first, second] = KINDS;
    assert.ok(first !== undefined && second !== undefined);
    const secret = minter.mint(first);
    assert.equal(minter.isAuthentic(secret, second), false);
    const relabelled = `${second}${secret.slice(first.length)}`;
    assert.equal(SHAPE.test(relabelled), true);
    assert.equal(minter.isAuthentic(relabelled, second), false);
    assert.equal(minter.isAuthentic(relabelled, first), false);
  });

  it("refuses another key's values", () => {
    const otherMac = new SecretMinter(randomBytes(32), randomBytes(32));
    for (const k of KINDS) assert.equal(minter.isAuthentic(otherMac.mint(k), k), false);
    // Same MAC key, different hash key: the MAC still checks; only the hash differs.
    const sameMacKey = randomBytes(32);
    const a = new SecretMinter(sameMacKey, randomBytes(32));
    const b = new SecretMinter(sameMacKey, randomBytes(32));
    assert.equal(b.isAuthentic(a.mint(SecretKind.clientSecret), SecretKind.clientSecret), true);
  });

  it('refuses any single-character change of a valid secret', () => {
    fc.assert(
      fc.property(kind, fc.nat(), anyChar, (k, position, replacement) => {
        const secret = minter.mint(k);
        const index = position % secret.length;
        fc.pre(secret[index] !== replacement);
        const mutated = `${secret.slice(0, index)}${replacement}${secret.slice(index + 1)}`;
        assert.equal(minter.isAuthentic(mutated, k), false, mutated);
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses a change in the last character of the MAC, even where base64url leaves bits unused', () => {
    // The MAC is 16 bytes: its last character carries 2 significant bits and 4 unused ones.
    const secret = minter.mint(SecretKind.opaqueAccessToken);
    for (const replacement of B64URL) {
      if (replacement === secret.at(-1)) continue;
      assert.equal(
        minter.isAuthentic(`${secret.slice(0, -1)}${replacement}`, SecretKind.opaqueAccessToken),
        false,
      );
    }
  });

  it('refuses any truncation, insertion or extra characters', () => {
    fc.assert(
      fc.property(kind, fc.nat(), fc.string({ minLength: 1, maxLength: 4 }), (k, position, extra) => {
        const secret = minter.mint(k);
        const index = position % (secret.length + 1);
        assert.equal(minter.isAuthentic(secret.slice(0, index), k), index === secret.length);
        assert.equal(minter.isAuthentic(secret.slice(index), k), index === 0);
        assert.equal(minter.isAuthentic(`${secret.slice(0, index)}${extra}${secret.slice(index)}`, k), false);
      }),
    );
  });

  it('refuses surrounding whitespace and a line break', () => {
    const secret = minter.mint(SecretKind.clientSecret);
    for (const variant of [` ${secret}`, `${secret} `, `${secret}\n`, `\t${secret}`, `${secret}\r\n`]) {
      assert.equal(minter.isAuthentic(variant, SecretKind.clientSecret), false, JSON.stringify(variant));
    }
    assert.equal(minter.isAuthentic('', SecretKind.clientSecret), false);
  });

  it('refuses a value whose parts were swapped or recombined from two secrets', () => {
    const a = minter.mint(SecretKind.clientSecret);
    const b = minter.mint(SecretKind.clientSecret);
    const [bodyA, macA] = a.split('.');
    const [bodyB, macB] = b.split('.');
    assert.equal(minter.isAuthentic(`${bodyA}.${macB}`, SecretKind.clientSecret), false);
    assert.equal(minter.isAuthentic(`${bodyB}.${macA}`, SecretKind.clientSecret), false);
  });

  describe('hash', () => {
    it('is deterministic', () => {
      fc.assert(
        fc.property(fc.string(), (value) => {
          const first = minter.hash(value);
          const second = minter.hash(value);
          assert.equal(first, second);
        }),
      );
    });

    it('is keyed: another hash key gives another hash', () => {
      const macKey = randomBytes(32);
      const a = new SecretMinter(macKey, randomBytes(32));
      const b = new SecretMinter(macKey, randomBytes(32));
      const secret = a.mint(SecretKind.clientSecret);
      assert.notEqual(a.hash(secret), b.hash(secret));
    });

    it('does not depend on the MAC key', () => {
      const hashKey = randomBytes(32);
      const secret = minter.mint(SecretKind.clientSecret);
      assert.equal(
        new SecretMinter(randomBytes(32), hashKey).hash(secret),
        new SecretMinter(randomBytes(32), hashKey).hash(secret),
      );
    });

    it('is not the value, and does not contain any part of it', () => {
      const secret = minter.mint(SecretKind.opaqueAccessToken);
      const hash = minter.hash(secret);
      const [body, mac] = secret.split('.');
      assert.ok(body !== undefined && mac !== undefined);
      assert.notEqual(hash, secret);
      assert.ok(!hash.includes(body.slice(4)) && !hash.includes(mac));
      assert.equal(Buffer.from(hash, 'base64url').length, 32);
    });

    it('tells different values apart', () => {
      fc.assert(
        fc.property(fc.string(), fc.string(), (a, b) => {
          fc.pre(a !== b);
          return minter.hash(a) !== minter.hash(b);
        }),
      );
    });
  });
});
