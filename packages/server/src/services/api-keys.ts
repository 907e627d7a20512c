import { type ApiKeyEnvironment, apiKeyDisplayPrefix, isWellFormedApiKey, mintApiKey } from '@tessera/core';
import type { ApiKeyRecord, ApiKeyStore } from '../store/api-key-store.js';
import { ExpiringCache } from './expiring-cache.js';
import { newIdentifier } from './identifiers.js';
import type { SecretMinter } from './minted-secret.js';
import type { Revocations } from './revocations.js';
import { ValidationError } from './validation-error.js';

/** How long a rotated key keeps working beside its successor, unless told otherwise. */
export const DEFAULT_ROTATION_OVERLAP = 24 * 3600;
/** A key read from the store is trusted this long; a revocation reaches the cache sooner. */
const CACHE_SECONDS = 30;
/** Verifiers cache a lookup for at most this long: a revocation event must outlive that. */
const REVOCATION_EVENT_SECONDS = 3600;

export interface CreateApiKeyInput {
  name: string;
  scopes: readonly string[];
  env?: ApiKeyEnvironment;
  expiresInSeconds?: number;
  /** Requests per minute verifiers allow the key. */
  rateLimit?: number;
}

/**
 * API keys: minted with a checksum (a malformed key is refused before any lookup), stored
 * only as a keyed hash, rotated with an overlap in which both keys work, revoked at once
 * (through the revocation list every instance and verifier follows). When a key was last
 * used is kept in memory and written in batches, not once per request.
 */
export class ApiKeyService {
  private readonly cache: ExpiringCache<string, ApiKeyRecord>;
  private readonly lastUsed = new Map<string, number>();

  constructor(
    private readonly store: ApiKeyStore,
    private readonly revocations: Revocations,
    private readonly minter: SecretMinter,
    private readonly now: () => number,
  ) {
    this.cache = new ExpiringCache(100_000, now);
  }

  /** Creates a key; the key itself is returned only here. */
  async create(input: CreateApiKeyInput): Promise<{ record: ApiKeyRecord; key: string }> {
    if (input.name.trim() === '') throw new ValidationError('name must not be empty');
    if (input.rateLimit !== undefined && !(Number.isSafeInteger(input.rateLimit) && input.rateLimit > 0)) {
      throw new ValidationError('a rate limit must be a whole number of requests per minute, at least 1');
    }
    if (input.expiresInSeconds !== undefined && !(input.expiresInSeconds > 0)) {
      throw new ValidationError('an API key must expire in the future');
    }
    const now = this.now();
    const { record, key } = this.mint(input.name, input.scopes, input.env ?? 'live', now);
    const withExpiry = {
      ...record,
      expiresAt: input.expiresInSeconds === undefined ? null : now + input.expiresInSeconds,
      rateLimit: input.rateLimit ?? null,
    };
    await this.store.insert(withExpiry);
    return { record: withExpiry, key };
  }

  /**
   * Issues a successor with the same name, scopes and environment; the old key keeps
   * working for `overlapSeconds`, then dies.
   */
  async rotate(id: string, overlapSeconds = DEFAULT_ROTATION_OVERLAP) {
    const old = await this.store.findById(id);
    const now = this.now();
    if (old === null || !isLive(old, now)) throw new ValidationError(`no live API key ${id}`);
    if (old.successorId !== null)
      throw new ValidationError(`API key ${id} was already rotated to ${old.successorId}`);
    const { record, key } = this.mint(old.name, old.scopes, old.env, now);
    const successor = { ...record, expiresAt: old.expiresAt, rateLimit: old.rateLimit };
    const oldExpiresAt = Math.min(now + overlapSeconds, old.expiresAt ?? Number.POSITIVE_INFINITY);
    await this.store.rotate(id, successor, oldExpiresAt);
    this.cache.delete(old.hash);
    return { record: successor, key, oldExpiresAt };
  }

  /** Revokes a key at once: here, in every server instance and every verifier. */
  async revoke(id: string): Promise<boolean> {
    const key = await this.store.findById(id);
    const now = this.now();
    if (key === null || !(await this.store.revoke(id, now))) return false;
    this.cache.delete(key.hash);
    const event = {
      kind: 'subject',
      value: id,
      revokedAt: now,
      expiresAt: now + REVOCATION_EVENT_SECONDS,
    } as const;
    await this.revocations.record(event);
    return true;
  }

  /** The live key `key` is, or null; notes that it was used. */
  async verify(key: string): Promise<ApiKeyRecord | null> {
    if (!isWellFormedApiKey(key)) return null;
    const hash = this.minter.hash(key);
    let record = this.cache.get(hash);
    if (record === undefined) {
      const stored = await this.store.findByHash(hash);
      if (stored === null) return null;
      record = stored;
      this.cache.set(hash, record, this.now() + CACHE_SECONDS);
    }
    const now = this.now();
    const revoked = this.revocations.isRevoked(
      { jti: '', clientId: '', subject: record.id, issuedAt: record.createdAt },
      now,
    );
    if (!isLive(record, now) || revoked) return null;
    this.lastUsed.set(record.id, now);
    return record;
  }

  /** What a found key is now, without counting it as used: for leak scans. */
  async inspect(
    key: string,
  ): Promise<{ status: 'live' | 'expired' | 'revoked' | 'unknown'; record: ApiKeyRecord | null }> {
    const record = isWellFormedApiKey(key) ? await this.store.findByHash(this.minter.hash(key)) : null;
    if (record === null) return { status: 'unknown', record };
    if (record.revokedAt !== null) return { status: 'revoked', record };
    if (record.expiresAt !== null && record.expiresAt <= this.now()) return { status: 'expired', record };
    return { status: 'live', record };
  }

  /** Looks up a key by its id, for the CLI. */
  find(id: string): Promise<ApiKeyRecord | null> {
    return this.store.findById(id);
  }

  list(): Promise<ApiKeyRecord[]> {
    return this.store.list();
  }

  /** Writes when keys were last used; the server calls it every minute and on close. */
  async flushUsage(): Promise<void> {
    if (this.lastUsed.size === 0) return;
    const batch = new Map(this.lastUsed);
    this.lastUsed.clear();
    await this.store.recordUse(batch);
  }

  private mint(name: string, scopes: readonly string[], env: ApiKeyEnvironment, now: number) {
    const key = mintApiKey(env);
    const record: ApiKeyRecord = {
      id: newIdentifier('key'),
      name,
      hash: this.minter.hash(key),
      displayPrefix: apiKeyDisplayPrefix(key),
      env,
      scopes: [...new Set(scopes)],
      createdAt: now,
      expiresAt: null,
      revokedAt: null,
      lastUsedAt: null,
      successorId: null,
      rateLimit: null,
    };
    return { record, key };
  }
}

const isLive = (key: ApiKeyRecord, now: number) =>
  key.revokedAt === null && (key.expiresAt === null || key.expiresAt > now);
