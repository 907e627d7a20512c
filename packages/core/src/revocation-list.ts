/**
 * One revocation, as the authorization server publishes it: a token by `jti`, or every
 * token of a client or a subject issued up to `revokedAt`. Times are seconds since the
 * epoch; after `expiresAt` no token the entry denies can be alive, and it is forgotten.
 */
export interface RevocationEntry {
  readonly kind: 'token' | 'client' | 'subject';
  readonly value: string;
  readonly revokedAt: number;
  readonly expiresAt: number;
}

/** What a revocation check needs to know of a token. */
export interface RevocableToken {
  readonly jti: string;
  readonly clientId: string;
  readonly subject: string;
  readonly issuedAt: number;
}

interface Window {
  revokedAt: number;
  expiresAt: number;
}

/**
 * The revocations in force, in memory: what the server and every verifier consult before
 * they accept a token that is otherwise valid. Memory is held only until each entry expires.
 *
 * @example
 * const list = new RevocationList();
 * list.apply({ kind: 'token', value: 'jti-1', revokedAt: now, expiresAt: now + 900 });
 * list.isRevoked({ jti: 'jti-1', clientId: 'c', subject: 's', issuedAt: now - 5 }, now); // true
 */
export class RevocationList {
  readonly #tokens = new Map<string, number>();
  readonly #clients = new Map<string, Window>();
  readonly #subjects = new Map<string, Window>();

  apply(entry: RevocationEntry): void {
    if (entry.kind === 'token') {
      this.#tokens.set(entry.value, Math.max(entry.expiresAt, this.#tokens.get(entry.value) ?? 0));
    } else {
      const windows = entry.kind === 'client' ? this.#clients : this.#subjects;
      const current = windows.get(entry.value);
      windows.set(entry.value, {
        revokedAt: Math.max(entry.revokedAt, current?.revokedAt ?? 0),
        expiresAt: Math.max(entry.expiresAt, current?.expiresAt ?? 0),
      });
    }
  }

  isRevoked(token: RevocableToken, now: number): boolean {
    const tokenUntil = this.#tokens.get(token.jti);
    if (tokenUntil !== undefined && tokenUntil > now) return true;
    return (
      covers(this.#clients.get(token.clientId), token, now) ||
      covers(this.#subjects.get(token.subject), token, now)
    );
  }

  /** Forgets entries that expired by `now`; the owner calls it from time to time. */
  sweep(now: number): void {
    for (const [jti, until] of this.#tokens) if (until <= now) this.#tokens.delete(jti);
    for (const windows of [this.#clients, this.#subjects]) {
      for (const [key, window] of windows) if (window.expiresAt <= now) windows.delete(key);
    }
  }

  get size(): number {
    return this.#tokens.size + this.#clients.size + this.#subjects.size;
  }
}

const covers = (window: Window | undefined, token: RevocableToken, now: number) =>
  window !== undefined && window.expiresAt > now && token.issuedAt <= window.revokedAt;
