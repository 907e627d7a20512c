import { createPrivateKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { SigningKeyRecord, SigningKeyStore } from '../store/signing-key-store.js';
import type { SigningAlg, SigningKey } from './jws-signer.js';
import type { SealedBox } from './sealed-box.js';

export type AsymmetricAlg = Exclude<SigningAlg, 'HS256'>;
export const ASYMMETRIC_ALGS: readonly AsymmetricAlg[] = ['ES256', 'RS256', 'EdDSA'];

/** Verifiers allow this long past `exp`; a retired key stays published for it too. */
export const CLOCK_TOLERANCE_SECONDS = 60;

interface LoadedKey extends SigningKey {
  readonly alg: AsymmetricAlg;
  readonly publicJwk: Record<string, unknown>;
  readonly activeAt: number;
  readonly retiresAt: number | null;
}

export interface SigningKeyServiceOptions {
  store: SigningKeyStore;
  sealer: SealedBox;
  now: () => number;
  /** The longest access-token lifetime in force: how long a retired key must stay published. */
  longestTokenLifetime: () => Promise<number>;
}

/**
 * The server's asymmetric signing keys: which key signs now for each algorithm, and the
 * JWKS that publishes every key that signs, will sign, or signed a token still alive.
 * Keys change in the store (`tessera keys rotate` from another process); `refresh()`, run
 * every few seconds by `watch()`, picks the change up without restart.
 */
export class SigningKeyService {
  private keys: readonly LoadedKey[] = [];
  private readonly opened = new Map<string, KeyObject>();

  constructor(private readonly options: SigningKeyServiceOptions) {}

  /** Reloads the live keys from the store. */
  async refresh(): Promise<void> {
    const records = await this.options.store.listLive(this.options.now());
    this.keys = records.map((record) => this.load(record));
    const live = new Set(records.map((record) => record.kid));
    for (const kid of this.opened.keys()) if (!live.has(kid)) this.opened.delete(kid);
  }

  /** Reloads every `intervalMs` until the returned function is called. */
  watch(intervalMs: number, onError: (error: unknown) => void): () => void {
    const timer = setInterval(() => this.refresh().catch(onError), intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** Makes sure a key of `alg` is in service, creating one that signs at once if none is. */
  async ensureKey(alg: AsymmetricAlg): Promise<void> {
    await this.refresh();
    if (this.keys.some((key) => key.alg === alg)) return;
    await this.options.store.insert(await this.generate(alg, this.options.now()));
    await this.refresh();
  }

  /**
   * Publishes a new key of `alg` now, signing from `activateInSeconds` on. Keys it replaces
   * stay published until every token they may still sign has expired.
   */
  async rotate(
    alg: AsymmetricAlg,
    activateInSeconds: number,
  ): Promise<{ kid: string; alg: string; activeAt: number }> {
    await this.refresh();
    const now = this.options.now();
    // With no key of `alg` signing yet there is nothing to hand over from: start at once.
    const activeAt = this.signingKey(alg) === undefined ? now : now + activateInSeconds;
    const record = await this.generate(alg, activeAt);
    const retireAt = record.activeAt + (await this.options.longestTokenLifetime()) + CLOCK_TOLERANCE_SECONDS;
    await this.options.store.rotate(record, retireAt);
    await this.refresh();
    return { kid: record.kid, alg, activeAt: record.activeAt };
  }

  /** The key that signs `alg` tokens now: the newest one already active. */
  signingKey(alg: AsymmetricAlg): SigningKey | undefined {
    const now = this.options.now();
    let current: LoadedKey | undefined;
    for (const key of this.keys) {
      if (key.alg === alg && key.activeAt <= now && (key.retiresAt === null || key.retiresAt > now))
        current = key;
    }
    return current;
  }

  /** A published key by `kid`, to check a token this server signed. */
  verificationKey(kid: string): { alg: AsymmetricAlg; publicJwk: Record<string, unknown> } | undefined {
    const now = this.options.now();
    return this.keys.find((key) => key.kid === kid && (key.retiresAt === null || key.retiresAt > now));
  }

  /** The JWKS: every key not yet expired, those waiting to sign included. */
  jwks(): { keys: Record<string, unknown>[] } {
    const now = this.options.now();
    return {
      keys: this.keys
        .filter((key) => key.retiresAt === null || key.retiresAt > now)
        .map((key) => key.publicJwk),
    };
  }

  /** Every live key, for `tessera keys list`. */
  list(): { kid: string; alg: string; activeAt: number; expiresAt: number | null }[] {
    return this.keys.map(({ kid, alg, activeAt, retiresAt }) => ({
      kid,
      alg,
      activeAt,
      expiresAt: retiresAt,
    }));
  }

  private load(record: SigningKeyRecord): LoadedKey {
    let key = this.opened.get(record.kid);
    if (key === undefined) {
      const jwk = JSON.parse(
        this.options.sealer.open(record.privateJwkSealed, sealContext(record.kid)).toString(),
      );
      key = createPrivateKey({ key: jwk, format: 'jwk' });
      this.opened.set(record.kid, key);
    }
    return {
      kid: record.kid,
      alg: record.alg as AsymmetricAlg,
      key,
      publicJwk: record.publicJwk,
      activeAt: record.activeAt,
      retiresAt: record.expiresAt,
    };
  }

  private async generate(alg: AsymmetricAlg, activeAt: number): Promise<SigningKeyRecord> {
    const { publicKey, privateKey } = await generateKeyPair(alg, {
      extractable: true,
      ...(alg === 'RS256' ? { modulusLength: 2048 } : {}),
      ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}),
    });
    const publicJwk: JWK = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
    const privateJwk = await exportJWK(privateKey);
    return {
      kid,
      alg,
      publicJwk: { ...publicJwk, kid, alg, use: 'sig' },
      privateJwkSealed: this.options.sealer.seal(JSON.stringify(privateJwk), sealContext(kid)),
      createdAt: this.options.now(),
      activeAt,
      expiresAt: null,
    };
  }
}

const sealContext = (kid: string) => `signing-key:${kid}`;
