/**
 * Values seen recently, each remembered until its own expiry: what refuses an exact replay
 * of a signed request. Expired values are swept at most every `sweepEveryMs`, so the cost
 * per check stays constant however many values are held.
 */
export class ReplayCache {
  private readonly until = new Map<string, number>();
  private nextSweep: number;

  /** `now` in milliseconds. */
  constructor(
    private readonly now: () => number,
    private readonly sweepEveryMs = 10_000,
  ) {
    this.nextSweep = now() + sweepEveryMs;
  }

  /** Whether `value` was seen and is still remembered; if not, remembers it until `untilMs`. */
  seen(value: string, untilMs: number): boolean {
    const now = this.now();
    if (now >= this.nextSweep) {
      for (const [known, expiry] of this.until) if (expiry <= now) this.until.delete(known);
      this.nextSweep = now + this.sweepEveryMs;
    }
    const expiry = this.until.get(value);
    if (expiry !== undefined && expiry > now) return true;
    this.until.set(value, untilMs);
    return false;
  }

  get size(): number {
    return this.until.size;
  }
}
