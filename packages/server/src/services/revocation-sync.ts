import type { RevocationEntry, RevocationList } from '@tessera/core';
import { FEED_PAGE_SIZE, type RevocationFeed } from './revocation-feed.js';

/**
 * Keeps a server's in-memory revocation list in step with the store, where other server
 * instances and the CLI record revocations: every `intervalMs`, it reads the feed from
 * its cursor. Revocations made by this instance are applied at once by whoever makes them.
 */
export class RevocationSync {
  private cursor = 0;

  constructor(
    private readonly feed: RevocationFeed,
    private readonly list: RevocationList,
    private readonly onApplied: (entry: RevocationEntry) => void,
    private readonly now: () => number,
  ) {}

  /** Reads the feed until it has nothing newer; the first call loads every live revocation. */
  async poll(): Promise<void> {
    for (;;) {
      const page = await this.feed.page(this.cursor);
      for (const event of page.events) {
        this.list.apply(event);
        this.onApplied(event);
      }
      const advanced = page.next > this.cursor;
      this.cursor = page.next;
      if (!advanced || page.events.length < FEED_PAGE_SIZE) break;
    }
    this.list.sweep(this.now());
  }

  watch(intervalMs: number, onError: (error: unknown) => void): () => void {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      this.poll()
        .catch(onError)
        .finally(() => {
          running = false;
        });
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }
}
