import { isIPv6 } from 'node:net';

/** Consecutive failures an account may have before it is locked. */
const ACCOUNT_FAILURES = 5;
/** The first lock; each further failure doubles it, up to the longest. */
const ACCOUNT_LOCK_SECONDS = 30;
const MAX_ACCOUNT_LOCK_SECONDS = 15 * 60;
/** An account's failures are forgotten this long after the last one. */
const ACCOUNT_MEMORY_SECONDS = 3600;
/** Failures a client address may have in one window before it is blocked until the window ends. */
const ADDRESS_FAILURES = 30;
const ADDRESS_WINDOW_SECONDS = 15 * 60;
const DEFAULT_MAX_ENTRIES = 100_000;

export type ThrottleDecision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly retryAfterSeconds: number };

export interface LoginThrottleOptions {
  /** The most accounts, and the most addresses, remembered; the oldest make room. */
  readonly maxEntries?: number;
}

interface AccountEntry {
  readonly failures: number;
  readonly lockedUntil: number;
  readonly forgetAt: number;
}

interface AddressEntry {
  failures: number;
  /** The end of the address's window. */
  readonly forgetAt: number;
}

/**
 * Slows password guessing. An account (keyed on the folded username text, so an unknown
 * username behaves like a known one) is locked for 30 s after 5 consecutive failures, twice
 * as long after each further one, up to 15 minutes. A client address (an IPv6 one by its
 * /64) may fail 30 times in a 15-minute window, then is blocked until the window ends.
 *
 * The state is in memory, per process: several server instances each keep their own, so
 * an attacker spreading guesses across them gets each instance's allowance. Both maps are
 * capped, the oldest entries making room, so spraying usernames or addresses cannot exhaust
 * memory.
 */
export class LoginThrottle {
  private readonly accounts = new Map<string, AccountEntry>();
  private readonly addresses = new Map<string, AddressEntry>();
  private readonly maxEntries: number;

  /** `now` is in seconds. */
  constructor(
    private readonly now: () => number,
    options: LoginThrottleOptions = {},
  ) {
    this.maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  }

  /** Whether a sign-in attempt may be checked now; ask before verifying the password. */
  check(usernameKey: string, address: string): ThrottleDecision {
    const now = this.now();
    const account = live(this.accounts, usernameKey, now);
    const client = live(this.addresses, addressKey(address), now);
    const blockedUntil = Math.max(
      account?.lockedUntil ?? 0,
      client !== undefined && client.failures >= ADDRESS_FAILURES ? client.forgetAt : 0,
    );
    return blockedUntil > now
      ? { allowed: false, retryAfterSeconds: Math.ceil(blockedUntil - now) }
      : { allowed: true };
  }

  recordFailure(usernameKey: string, address: string): void {
    const now = this.now();
    const failures = (live(this.accounts, usernameKey, now)?.failures ?? 0) + 1;
    const lockedUntil =
      failures < ACCOUNT_FAILURES
        ? 0
        : now + Math.min(ACCOUNT_LOCK_SECONDS * 2 ** (failures - ACCOUNT_FAILURES), MAX_ACCOUNT_LOCK_SECONDS);
    this.remember(this.accounts, usernameKey, {
      failures,
      lockedUntil,
      forgetAt: now + ACCOUNT_MEMORY_SECONDS,
    });
    const key = addressKey(address);
    const client = live(this.addresses, key, now);
    if (client === undefined) {
      this.remember(this.addresses, key, { failures: 1, forgetAt: now + ADDRESS_WINDOW_SECONDS });
    } else {
      client.failures += 1;
    }
  }

  /**
   * Asks, and counts the attempt as a failure before its password is even checked: attempts
   * sent at the same moment each count, so none slips past the limit while the others'
   * (slow, asynchronous) password checks are still running. A success undoes it
   * ({@link succeeded}).
   */
  attempt(usernameKey: string, address: string): ThrottleDecision {
    const decision = this.check(usernameKey, address);
    if (decision.allowed) this.recordFailure(usernameKey, address);
    return decision;
  }

  /**
   * An attempt succeeded: the account's failures are cleared, and the address's count drops
   * by the one this attempt added. The address keeps its earlier failures: otherwise an
   * attacker holding one account could wipe them between guesses at others.
   */
  succeeded(usernameKey: string, address: string): void {
    this.accounts.delete(usernameKey);
    const client = live(this.addresses, addressKey(address), this.now());
    if (client !== undefined && client.failures > 0) client.failures -= 1;
  }

  /**
   * Adds an entry at the back. Entries go in with the latest `forgetAt`, so the stale ones
   * are at the front, where the sweep and, past the cap, the oldest make room.
   */
  private remember<T extends { readonly forgetAt: number }>(
    map: Map<string, T>,
    key: string,
    entry: T,
  ): void {
    map.delete(key);
    map.set(key, entry);
    const now = this.now();
    for (const [oldKey, old] of map) {
      if (old.forgetAt > now && map.size <= this.maxEntries) break;
      map.delete(oldKey);
    }
  }
}

function live<T extends { readonly forgetAt: number }>(
  map: Map<string, T>,
  key: string,
  now: number,
): T | undefined {
  const entry = map.get(key);
  if (entry === undefined || entry.forgetAt > now) return entry;
  map.delete(key);
  return undefined;
}

/**
 * The key an address is counted under: an IPv6 client usually holds a whole /64, so that
 * prefix; an IPv4 address, also one mapped into IPv6, as itself.
 */
function addressKey(address: string): string {
  if (!isIPv6(address)) return address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped !== undefined) return mapped;
  const [head = '', tail] = address.replace(/%.*$/, '').split('::');
  // An embedded IPv4 address is the last 32 bits: it only counts for its two groups.
  const groups = (part: string) =>
    part === '' ? [] : part.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g]));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const full =
    tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  const prefix = full.slice(0, 4).map((group) => Number.parseInt(group, 16).toString(16));
  return `${prefix.join(':')}::/64`;
}
