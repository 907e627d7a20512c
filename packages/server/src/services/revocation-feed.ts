import type { RevocationEvent, TokenStore } from '../store/token-store.js';

/**
 * How long a revocation takes to be surely visible to every reader. PostgreSQL hands out
 * sequence numbers at insert and makes rows visible at commit, so a lower `seq` can appear
 * after a higher one; the feed's cursor only moves past events older than this.
 */
export const FEED_SETTLE_SECONDS = 10;
export const FEED_PAGE_SIZE = 1000;

export interface RevocationPage {
  readonly events: readonly (RevocationEvent & { seq: number })[];
  /** The cursor for the next request. Events younger than the settle window come again. */
  readonly next: number;
}

/**
 * The revocation feed verifiers subscribe to: every live revocation after a cursor. A
 * verifier asks again every second or so, and denies what it hears until it expires.
 */
export class RevocationFeed {
  constructor(
    private readonly tokens: TokenStore,
    private readonly now: () => number,
  ) {}

  async page(after: number): Promise<RevocationPage> {
    const now = this.now();
    const events = await this.tokens.revocationsAfter(after, FEED_PAGE_SIZE, now);
    let next = after;
    for (const event of events)
      if (event.revokedAt <= now - FEED_SETTLE_SECONDS) next = Math.max(next, event.seq);
    return { events, next };
  }
}
