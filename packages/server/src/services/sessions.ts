import type { SessionRecord, SessionStore } from '../store/session-store.js';
import { newIdentifier } from './identifiers.js';
import { SecretKind, type SecretMinter } from './minted-secret.js';

/** A browser session ends this long after sign-in, used or not. */
export const SESSION_TTL_SECONDS = 12 * 3600;

/**
 * Browser sessions at the authorization server. The cookie holds a minted secret; the
 * store holds only its keyed hash, so a database dump signs nobody in.
 */
export class SessionService {
  constructor(
    private readonly store: SessionStore,
    private readonly minter: SecretMinter,
    private readonly now: () => number,
  ) {}

  /** Starts a session for a user who just proved who they are; returns the cookie value. */
  async start(userId: string): Promise<{ cookie: string; session: SessionRecord }> {
    const cookie = this.minter.mint(SecretKind.session);
    const now = this.now();
    const session: SessionRecord = {
      hash: this.minter.hash(cookie),
      id: newIdentifier('ses'),
      userId,
      authTime: now,
      createdAt: now,
      expiresAt: now + SESSION_TTL_SECONDS,
    };
    await this.store.insert(session);
    return { cookie, session };
  }

  /** The live session a cookie names, or null. */
  async find(cookie: string | undefined): Promise<SessionRecord | null> {
    if (cookie === undefined || !this.minter.isAuthentic(cookie, SecretKind.session)) return null;
    const session = await this.store.findByHash(this.minter.hash(cookie));
    return session !== null && session.expiresAt > this.now() ? session : null;
  }

  async end(session: SessionRecord): Promise<void> {
    await this.store.deleteByHash(session.hash);
  }

  purgeExpired(): Promise<number> {
    return this.store.purgeExpired(this.now());
  }
}
