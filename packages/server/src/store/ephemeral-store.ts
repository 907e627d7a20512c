/**
 * Short-lived shared state: replay caches, counters, TTL keys. In-process for a single
 * server; a Redis implementation takes its place when Tessera runs on several.
 */
export interface EphemeralStore {
  /** Sets `key` for `ttlSeconds` unless it is already set; returns whether it was set. */
  setIfAbsent(key: string, ttlSeconds: number): Promise<boolean>;
  close(): Promise<void>;
}

/** The in-process ephemeral store; expired keys are swept as the map is written. */
export class MemoryEphemeralStore implements EphemeralStore {
  private readonly expiries = new Map<string, number>();
  private writesSinceSweep = 0;

  constructor(private readonly now: () => number = Date.now) {}

  async setIfAbsent(key: string, ttlSeconds: number): Promise<boolean> {
    const now = this.now();
    this.sweepOccasionally(now);
    const expiry = this.expiries.get(key);
    if (expiry !== undefined && expiry > now) return false;
    this.expiries.set(key, now + ttlSeconds * 1000);
    return true;
  }

  async close(): Promise<void> {
    this.expiries.clear();
  }

  private sweepOccasionally(now: number): void {
    if (++this.writesSinceSweep < 1024) return;
    this.writesSinceSweep = 0;
    for (const [key, expiry] of this.expiries) if (expiry <= now) this.expiries.delete(key);
  }
}
