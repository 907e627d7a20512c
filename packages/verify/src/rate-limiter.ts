/**
 * Per-credential rate limits: a token bucket per id holding `perMinute` requests, refilled
 * continuously. In this process only: several verifiers each allow the full rate.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private nextSweep: number;

  /** Milliseconds. */
  constructor(private readonly now: () => number) {
    this.nextSweep = now() + 60_000;
  }

  /** Takes one request from `id`'s bucket; returns 0, or the seconds until one is left. */
  take(id: string, perMinute: number): number {
    const now = this.now();
    const perMs = perMinute / 60_000;
    const bucket = this.buckets.get(id) ?? { tokens: perMinute, at: now };
    bucket.tokens = Math.min(perMinute, bucket.tokens + (now - bucket.at) * perMs);
    bucket.at = now;
    if (now >= this.nextSweep) {
      this.forgetFull(now);
      this.nextSweep = now + 60_000;
    }
    this.buckets.set(id, bucket);
    if (bucket.tokens < 1) return Math.ceil((1 - bucket.tokens) / perMs / 1000);
    bucket.tokens -= 1;
    return 0;
  }

  /** Buckets full again hold nothing worth keeping; swept once a minute, not per request. */
  private forgetFull(now: number): void {
    for (const [id, bucket] of this.buckets) if (now - bucket.at >= 60_000) this.buckets.delete(id);
  }
}
