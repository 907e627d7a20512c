import type { ConsentRecord, ConsentStore } from '../store/consent-store.js';
import type { GrantService } from './grants.js';

/** Consent a user gave a client, remembered so they are not asked again for the same scopes. */
export class ConsentService {
  constructor(
    private readonly store: ConsentStore,
    private readonly grants: GrantService,
    private readonly now: () => number,
  ) {}

  /** Whether the user already let the client hold every one of `scopes` at `audience`. */
  async covers(
    userId: string,
    clientId: string,
    audience: string,
    scopes: readonly string[],
  ): Promise<boolean> {
    const consent = await this.store.find(userId, clientId, audience);
    return consent !== null && scopes.every((scope) => consent.scopes.includes(scope));
  }

  /** Remembers that the user approved `scopes` at `audience`, beside what they approved before. */
  async approve(
    userId: string,
    clientId: string,
    audience: string,
    scopes: readonly string[],
  ): Promise<void> {
    const earlier = (await this.store.find(userId, clientId, audience))?.scopes ?? [];
    await this.store.save({
      userId,
      clientId,
      audience,
      scopes: [...new Set([...earlier, ...scopes])],
      grantedAt: this.now(),
    });
  }

  listForUser(userId: string): Promise<ConsentRecord[]> {
    return this.store.listForUser(userId);
  }

  /** Withdraws the consent and revokes every grant made under it, tokens included. */
  async withdraw(userId: string, clientId: string): Promise<void> {
    await this.store.delete(userId, clientId);
    await this.grants.revokeAllOf(userId, clientId);
  }
}
