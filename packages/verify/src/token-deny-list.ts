/**
 * Token ids (`jti`) refused until a given time: the hook for revocation. A JWT stays valid
 * until its `exp` by itself, so a revoked `jti` only needs remembering that long.
 */

/**
 * @example
 * ```ts
 * const denied = new TokenDenyList();
 * denied.add(jti, (exp + 60) * 1000);
 * denied.has(jti, Date.now()); // true until then
 * ```
 */
export class TokenDenyList {
  readonly #until = new Map<string, number>();
  #sweepAt = 1024;

  /** Refuses `tokenId` until `untilMs` (normally the token's `exp` plus the clock tolerance). */
  add(tokenId: string, untilMs: number): void {
    const current = this.#until.get(tokenId);
    if (current === undefined || current < untilMs) this.#until.set(tokenId, untilMs);
  }

  /** Whether `tokenId` is refused at `nowMs`. */
  has(tokenId: string, nowMs: number): boolean {
    if (this.#until.size === 0) return false;
    const until = this.#until.get(tokenId);
    if (until === undefined) return false;
    if (nowMs < until) return true;
    this.#until.delete(tokenId);
    return false;
  }

  /** Drops entries whose time has passed; called by the owner as it adds. */
  sweep(nowMs: number): void {
    if (this.#until.size < this.#sweepAt) return;
    for (const [tokenId, until] of this.#until) if (until <= nowMs) this.#until.delete(tokenId);
    this.#sweepAt = Math.max(1024, this.#until.size * 2);
  }

  get size(): number {
    return this.#until.size;
  }
}
