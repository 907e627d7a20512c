import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LoginThrottle, type LoginThrottleOptions } from './login-throttle.js';

const START = 1_700_000_000;
const ALLOWED = { allowed: true };
const blocked = (retryAfterSeconds: number) => ({ allowed: false, retryAfterSeconds });

/** A throttle on a clock (seconds) the test moves. */
function throttleWithClock(options?: LoginThrottleOptions) {
  const clock = { now: START };
  return { clock, throttle: new LoginThrottle(() => clock.now, options) };
}

/**
 * How many accounts and addresses the throttle remembers. Forgetting has no other
 * observable effect than memory, so this looks inside, at the two maps the class keeps.
 */
function held(throttle: LoginThrottle): { accounts: number; addresses: number } {
  const inside = throttle as unknown as { accounts?: unknown; addresses?: unknown };
  assert.ok(inside.accounts instanceof Map && inside.addresses instanceof Map);
  return { accounts: inside.accounts.size, addresses: inside.addresses.size };
}

function fail(throttle: LoginThrottle, usernameKey: string, address: string, times = 1): void {
  for (let i = 0; i < times; i++) throttle.recordFailure(usernameKey, address);
}

describe('LoginThrottle: accounts', () => {
  it('locks an account for 30 s after 5 consecutive failures, from any address', () => {
    const { clock, throttle } = throttleWithClock();
    fail(throttle, 'alice', '192.0.2.1', 4);
    assert.deepEqual(throttle.check('alice', '192.0.2.1'), ALLOWED);
    fail(throttle, 'alice', '192.0.2.2');
    assert.deepEqual(throttle.check('alice', '192.0.2.1'), blocked(30));
    assert.deepEqual(throttle.check('alice', '198.51.100.7'), blocked(30));
    assert.deepEqual(throttle.check('bob', '192.0.2.1'), ALLOWED, 'other accounts are not locked');
    clock.now = START + 29;
    assert.deepEqual(throttle.check('alice', '192.0.2.1'), blocked(1));
    clock.now = START + 30;
    assert.deepEqual(throttle.check('alice', '192.0.2.1'), ALLOWED);
  });

  it('doubles the lock with each further failure, up to 15 minutes', () => {
    const { clock, throttle } = throttleWithClock();
    fail(throttle, 'alice', '192.0.2.1', 5);
    for (const lock of [60, 120, 240, 480, 900, 900]) {
      clock.now += 900;
      assert.deepEqual(throttle.check('alice', '192.0.2.1'), ALLOWED);
      fail(throttle, 'alice', `192.0.2.${lock % 200}`);
      assert.deepEqual(throttle.check('alice', '192.0.2.1'), blocked(lock));
    }
  });

  it('counts on the username text alone, whether or not such an account exists', () => {
    const { throttle } = throttleWithClock();
    fail(throttle, 'no-such-user', '192.0.2.1', 5);
    assert.deepEqual(throttle.check('no-such-user', '192.0.2.9'), blocked(30));
    assert.deepEqual(throttle.check('no-such-user2', '192.0.2.9'), ALLOWED);
  });

  it('clears the account on success, so only consecutive failures count', () => {
    const { throttle } = throttleWithClock();
    fail(throttle, 'alice', '192.0.2.1', 4);
    assert.deepEqual(throttle.attempt('alice', '192.0.2.1'), ALLOWED);
    throttle.succeeded('alice', '192.0.2.1');
    fail(throttle, 'alice', '192.0.2.1', 4);
    assert.deepEqual(throttle.check('alice', '192.0.2.1'), ALLOWED);
    fail(throttle, 'alice', '192.0.2.1');
    assert.deepEqual(throttle.check('alice', '192.0.2.1'), blocked(30));
  });

  it('forgets an account an hour after its last failure', () => {
    const { clock, throttle } = throttleWithClock();
    fail(throttle, 'alice', '192.0.2.1', 4);
    fail(throttle, 'bob', '192.0.2.1', 4);
    clock.now = START + 3599;
    fail(throttle, 'alice', '192.0.2.1');
    assert.deepEqual(throttle.check('alice', '192.0.2.1'), blocked(30));
    clock.now = START + 3600;
    fail(throttle, 'bob', '192.0.2.1');
    assert.deepEqual(throttle.check('bob', '192.0.2.1'), ALLOWED);
  });
});

describe('LoginThrottle: client addresses', () => {
  it('blocks an address after 30 failures until its 15-minute window ends', () => {
    const { clock, throttle } = throttleWithClock();
    for (let i = 0; i < 30; i++) {
      assert.deepEqual(throttle.check(`user${i}`, '192.0.2.1'), ALLOWED, `attempt ${i + 1}`);
      throttle.recordFailure(`user${i}`, '192.0.2.1');
      clock.now += 10;
    }
    assert.deepEqual(throttle.check('someone-else', '192.0.2.1'), blocked(900 - 300));
    assert.deepEqual(throttle.check('someone-else', '192.0.2.2'), ALLOWED, 'other addresses are not blocked');
    // A success (an account of the attacker's own) does not wipe the address's count: it
    // takes back only its own attempt.
    throttle.succeeded('user0', '192.0.2.1');
    assert.deepEqual(throttle.check('user0', '192.0.2.1'), ALLOWED);
    assert.deepEqual(throttle.attempt('user0', '192.0.2.1'), ALLOWED);
    assert.deepEqual(throttle.check('user0', '192.0.2.1'), blocked(600));
    clock.now = START + 899;
    assert.deepEqual(throttle.check('someone-else', '192.0.2.1'), blocked(1));
    clock.now = START + 900;
    assert.deepEqual(throttle.check('someone-else', '192.0.2.1'), ALLOWED);
    fail(throttle, 'user-a', '192.0.2.1', 1);
    assert.deepEqual(throttle.check('someone-else', '192.0.2.1'), ALLOWED, 'a new window starts at zero');
  });

  it('answers with the longer wait when both the account and the address are blocked', () => {
    const { clock, throttle } = throttleWithClock();
    for (let i = 0; i < 25; i++) throttle.recordFailure(`user${i}`, '192.0.2.1');
    clock.now = START + 600;
    fail(throttle, 'alice', '192.0.2.1', 5);
    clock.now = START + 601;
    assert.deepEqual(throttle.check('alice', '192.0.2.1'), blocked(299), 'the address, longer');
    assert.deepEqual(throttle.check('alice', '192.0.2.2'), blocked(29), 'the account alone');

    fail(throttle, 'bob', '198.51.100.1', 9);
    fail(throttle, 'bob', '192.0.2.1');
    assert.deepEqual(throttle.check('bob', '192.0.2.1'), blocked(900), 'the account, longer');
    assert.deepEqual(throttle.check('carol', '192.0.2.1'), blocked(299), 'the address alone');
  });

  it('counts an IPv6 client by its /64, and an IPv4-mapped address as the IPv4 one', () => {
    const { throttle } = throttleWithClock();
    for (let i = 0; i < 30; i++) throttle.recordFailure(`user${i}`, `2001:db8:1:2::${(i + 1).toString(16)}`);
    for (const address of [
      '2001:db8:1:2:ffff:ffff:ffff:ffff',
      '2001:0DB8:0001:0002::9',
      '2001:db8:1:2::1%eth0',
    ]) {
      assert.equal(throttle.check('x', address).allowed, false, address);
    }
    for (const address of ['2001:db8:1:3::1', '2001:db8::1:2:0:0', '2001:db8:1::2']) {
      assert.deepEqual(throttle.check('x', address), ALLOWED, address);
    }

    for (let i = 0; i < 15; i++) throttle.recordFailure(`user${i}`, '::ffff:192.0.2.1');
    for (let i = 15; i < 30; i++) throttle.recordFailure(`user${i}`, '192.0.2.1');
    assert.equal(throttle.check('x', '192.0.2.1').allowed, false);
    assert.equal(throttle.check('x', '::ffff:192.0.2.1').allowed, false);
    assert.deepEqual(throttle.check('x', '192.0.2.2'), ALLOWED);

    // "1::2:3:4:5:6" is 1:0:0:2:…: the groups after "::" reach into the /64.
    for (let i = 0; i < 30; i++) throttle.recordFailure(`user${i}`, '1::2:3:4:5:6');
    assert.equal(throttle.check('x', '1:0:0:2::').allowed, false);
    assert.deepEqual(throttle.check('x', '1::'), ALLOWED);
  });
});

describe('LoginThrottle: attempts at the same moment', () => {
  it('counts each attempt before its password is checked, so concurrent guesses cannot pass the limit', () => {
    const { throttle } = throttleWithClock();
    const decisions = Array.from({ length: 40 }, () => throttle.attempt('alice', '192.0.2.1'));
    assert.equal(decisions.filter((decision) => decision.allowed).length, 5);
    assert.deepEqual(throttle.check('alice', '192.0.2.1'), blocked(30));
  });

  it('takes a successful attempt back, so sign-ins do not add up to a block', () => {
    const { throttle } = throttleWithClock();
    for (let i = 0; i < 100; i++) {
      assert.deepEqual(throttle.attempt(`user${i % 3}`, '192.0.2.1'), ALLOWED, `sign-in ${i + 1}`);
      throttle.succeeded(`user${i % 3}`, '192.0.2.1');
    }
  });
});

describe('LoginThrottle: memory', () => {
  it('forgets stale accounts and addresses', () => {
    const { clock, throttle } = throttleWithClock();
    for (let i = 0; i < 50; i++) throttle.recordFailure(`user${i}`, `192.0.2.${i}`);
    assert.deepEqual(held(throttle), { accounts: 50, addresses: 50 });
    clock.now = START + 900;
    throttle.recordFailure('fresh', '198.51.100.1');
    assert.deepEqual(held(throttle), { accounts: 51, addresses: 1 }, 'the address windows have ended');
    clock.now = START + 3600;
    throttle.recordFailure('fresher', '198.51.100.1');
    assert.deepEqual(held(throttle), { accounts: 2, addresses: 1 });
    throttle.succeeded('fresh', '198.51.100.1');
    assert.deepEqual(held(throttle), { accounts: 1, addresses: 1 });
  });

  it('holds at most 100,000 accounts by default, dropping the oldest', () => {
    const { throttle } = throttleWithClock();
    fail(throttle, 'victim', '192.0.2.1', 4);
    for (let i = 0; i < 100_000; i++) throttle.recordFailure(`spray${i}`, '203.0.113.1');
    assert.equal(held(throttle).accounts, 100_000);
    fail(throttle, 'victim', '192.0.2.1');
    assert.deepEqual(throttle.check('victim', '192.0.2.1'), ALLOWED, 'the oldest entry made room');
  });

  it('caps accounts and addresses at maxEntries', () => {
    const { throttle } = throttleWithClock({ maxEntries: 100 });
    fail(throttle, 'first', '192.0.2.1', 5);
    for (let i = 0; i < 150; i++) throttle.recordFailure(`user${i}`, `2001:db8:${i.toString(16)}::1`);
    assert.deepEqual(held(throttle), { accounts: 100, addresses: 100 });
    assert.deepEqual(throttle.check('first', '192.0.2.9'), ALLOWED);
    assert.deepEqual(throttle.check('user149', '192.0.2.9'), ALLOWED);
    fail(throttle, 'user149', '192.0.2.9', 4);
    assert.deepEqual(throttle.check('user149', '192.0.2.9'), blocked(30), 'the newest are kept');
  });
});
