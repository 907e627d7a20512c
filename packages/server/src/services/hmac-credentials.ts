import { randomBytes } from 'node:crypto';
import { deriveSigV4SigningKey } from '@tessera/core';
import type { HmacCredentialRecord, HmacCredentialStore } from '../store/hmac-credential-store.js';
import type { Revocations } from './revocations.js';
import type { SealedBox } from './sealed-box.js';
import { ValidationError } from './validation-error.js';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** Verifiers cache derived keys for at most a day: a revocation event must outlive that. */
const REVOCATION_EVENT_SECONDS = 2 * 86400;

/** A day-scoped SigV4 signing key, what a verifier gets instead of the secret. */
export interface DerivedSigningKey {
  readonly accessKeyId: string;
  readonly scopes: readonly string[];
  readonly signingKey: Buffer;
}

/**
 * Request-signing credentials for AWS Signature Version 4. The secret is sealed at rest
 * (the server must recompute HMACs) and never leaves the server after creation: verifiers
 * get the key derived for one day, region and service.
 */
export class HmacCredentialService {
  constructor(
    private readonly store: HmacCredentialStore,
    private readonly revocations: Revocations,
    private readonly sealer: SealedBox,
    private readonly now: () => number,
  ) {}

  /** Creates a credential; the secret is returned only here. */
  async create(input: {
    name: string;
    scopes: readonly string[];
  }): Promise<{ record: HmacCredentialRecord; secret: string }> {
    if (input.name.trim() === '') throw new ValidationError('name must not be empty');
    const accessKeyId = `TKIA${[...randomBytes(16)].map((byte) => BASE32[byte % 32]).join('')}`;
    const secret = randomBytes(32).toString('base64url');
    const record: HmacCredentialRecord = {
      accessKeyId,
      name: input.name,
      scopes: [...new Set(input.scopes)],
      secretSealed: this.sealer.seal(secret, sealContext(accessKeyId)),
      createdAt: this.now(),
      revokedAt: null,
    };
    await this.store.insert(record);
    return { record, secret };
  }

  list(): Promise<HmacCredentialRecord[]> {
    return this.store.list();
  }

  /** Revokes a credential at once: verifiers drop its derived keys within about a second. */
  async revoke(accessKeyId: string): Promise<boolean> {
    const now = this.now();
    if (!(await this.store.revoke(accessKeyId, now))) return false;
    const event = {
      kind: 'subject',
      value: accessKeyId,
      revokedAt: now,
      expiresAt: now + REVOCATION_EVENT_SECONDS,
    } as const;
    await this.revocations.record(event);
    return true;
  }

  /**
   * The signing key of a live credential for `date` (YYYYMMDD), region and service. Only
   * for yesterday, today or tomorrow (UTC): enough for any clock skew, and no key for a
   * day to come can be collected in advance.
   */
  async derivedKey(
    accessKeyId: string,
    date: string,
    region: string,
    service: string,
  ): Promise<DerivedSigningKey | null> {
    if (!/^\d{8}$/.test(date) || !nearbyDays(this.now()).includes(date)) return null;
    const credential = await this.store.find(accessKeyId);
    if (credential === null || credential.revokedAt !== null) return null;
    const secret = this.sealer.open(credential.secretSealed, sealContext(accessKeyId)).toString();
    let signingKey: Buffer;
    try {
      signingKey = deriveSigV4SigningKey(secret, date, region, service);
    } catch {
      // A region or service that cannot stand in a credential scope has no key.
      return null;
    }
    return { accessKeyId, scopes: credential.scopes, signingKey };
  }
}

function nearbyDays(nowSeconds: number): string[] {
  return [-1, 0, 1].map((offset) =>
    new Date((nowSeconds + offset * 86400) * 1000).toISOString().slice(0, 10).replaceAll('-', ''),
  );
}

const sealContext = (accessKeyId: string) => `hmac-secret:${accessKeyId}`;
