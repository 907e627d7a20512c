import type { RevocationList } from '@tessera/core';
import { basicAuthorization } from './client-credentials-header.js';

export interface RevocationFeedClientOptions {
  readonly endpoint: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly list: RevocationList;
  readonly fetch: typeof fetch;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Seconds since the epoch. */
  readonly now: () => number;
  readonly onError: (error: Error) => void;
}

/**
 * Subscribes to the authorization server's revocation feed (`GET …/revocations?after=N`):
 * every `intervalMs` it reads what was revoked since its cursor into the revocation list,
 * so revoked JWTs are refused before they expire. `lastSyncedAt` tells how fresh the list is.
 */
export class RevocationFeedClient {
  private cursor = 0;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  /** When the feed last answered, in seconds; 0 before it ever has. */
  lastSyncedAt = 0;

  constructor(private readonly options: RevocationFeedClientOptions) {}

  /** Loads every live revocation; rejects if the feed cannot be read. */
  async start(): Promise<void> {
    await this.poll();
    this.timer = setInterval(() => {
      this.poll().catch((error: Error) => this.options.onError(error));
    }, this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Reads the feed up to its end; one poll at a time. */
  poll(): Promise<void> {
    this.polling ??= this.readToEnd().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  private async readToEnd(): Promise<void> {
    for (let page = 0; page < 100; page++) {
      const response = await this.options.fetch(`${this.options.endpoint}?after=${this.cursor}`, {
        headers: {
          authorization: basicAuthorization(this.options.clientId, this.options.clientSecret),
          accept: 'application/json',
        },
        redirect: 'error',
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      if (response.status !== 200) throw new Error(`revocation feed answered ${response.status}`);
      const body = (await response.json()) as { events?: unknown; next?: unknown };
      if (!Array.isArray(body.events) || typeof body.next !== 'number')
        throw new Error('revocation feed answer is malformed');
      for (const event of body.events as Record<string, unknown>[]) {
        const { kind, value, revoked_at, expires_at } = event;
        if (
          (kind === 'token' || kind === 'client' || kind === 'subject') &&
          typeof value === 'string' &&
          typeof revoked_at === 'number' &&
          typeof expires_at === 'number'
        ) {
          this.options.list.apply({ kind, value, revokedAt: revoked_at, expiresAt: expires_at });
        }
      }
      const advanced = body.next > this.cursor;
      this.cursor = Math.max(this.cursor, body.next);
      if (!advanced || body.events.length < 1000) break;
    }
    this.lastSyncedAt = this.options.now();
    this.options.list.sweep(this.lastSyncedAt);
  }
}
