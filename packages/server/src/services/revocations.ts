import type { RevocableToken, RevocationList } from '@tessera/core';
import type { RevocationEvent, TokenStore } from '../store/token-store.js';

/**
 * Where every revocation goes: first into the store (durable, and on the feed for other
 * instances and verifiers), then into force in this process at once.
 */
export class Revocations {
  constructor(
    private readonly tokens: TokenStore,
    /** The revocations in force here; `RevocationSync` adds those recorded elsewhere. */
    readonly list: RevocationList,
  ) {}

  /** Records `event`, marking the opaque token with this hash revoked in the same transaction. */
  async record(event: RevocationEvent, opaqueHash?: string): Promise<void> {
    await this.tokens.revoke(event, opaqueHash);
    this.list.apply(event);
  }

  /** Records every event durably in one transaction, then puts them in force here. */
  async recordAll(events: readonly RevocationEvent[]): Promise<void> {
    await this.tokens.revokeAll(events);
    for (const event of events) this.list.apply(event);
  }

  isRevoked(token: RevocableToken, now: number): boolean {
    return this.list.isRevoked(token, now);
  }
}
