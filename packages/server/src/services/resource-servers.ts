import { createSecretKey, randomBytes } from 'node:crypto';
import type { TokenFormat } from '../store/client-store.js';
import type { ResourceServerRecord, ResourceServerStore } from '../store/resource-server-store.js';
import { ExpiringCache } from './expiring-cache.js';
import { newIdentifier } from './identifiers.js';
import type { SigningAlg, SigningKey } from './jws-signer.js';
import type { SealedBox } from './sealed-box.js';
import { ASYMMETRIC_ALGS, type AsymmetricAlg, type SigningKeyService } from './signing-keys.js';
import { ValidationError } from './validation-error.js';

export const RESOURCE_SERVER_ALGS: readonly SigningAlg[] = [...ASYMMETRIC_ALGS, 'HS256'];
/** How long a lookup by audience is trusted: an API created elsewhere shows up this soon. */
const CACHE_SECONDS = 5;

export interface CreateResourceServerInput {
  audience: string;
  scopes: readonly string[];
  tokenFormat?: TokenFormat;
  tokenTtl?: number;
  alg?: SigningAlg;
}

/** The APIs that accept our access tokens: audience, scopes, and how their tokens look. */
export class ResourceServerService {
  private readonly byAudience: ExpiringCache<string, ResourceServerRecord | null>;
  private readonly hmacKeys = new Map<string, SigningKey>();

  constructor(
    private readonly store: ResourceServerStore,
    private readonly signingKeys: SigningKeyService,
    private readonly sealer: SealedBox,
    private readonly now: () => number,
  ) {
    this.byAudience = new ExpiringCache(10_000, now);
  }

  /** Registers an API; for HS256 returns its signing secret, which is shown only here. */
  async create(input: CreateResourceServerInput): Promise<{ record: ResourceServerRecord; secret?: string }> {
    if (input.audience === '' || /[\s\p{Cc}]/u.test(input.audience)) {
      throw new ValidationError('audience must be a non-empty string without spaces or control characters');
    }
    if (await this.store.findByAudience(input.audience)) {
      throw new ValidationError(`an API with audience ${input.audience} already exists`);
    }
    const alg = input.alg ?? 'ES256';
    const id = newIdentifier('api');
    const secret = alg === 'HS256' ? randomBytes(32).toString('base64url') : undefined;
    const record: ResourceServerRecord = {
      id,
      audience: input.audience,
      scopes: [...input.scopes],
      tokenFormat: input.tokenFormat ?? 'jwt',
      tokenTtl: input.tokenTtl ?? null,
      alg,
      secretSealed: secret === undefined ? null : this.sealer.seal(secret, sealContext(id)),
      createdAt: this.now(),
    };
    if (alg !== 'HS256') await this.signingKeys.ensureKey(alg);
    await this.store.insert(record);
    this.byAudience.delete(record.audience);
    return secret === undefined ? { record } : { record, secret };
  }

  async findByAudience(audience: string): Promise<ResourceServerRecord | null> {
    const cached = this.byAudience.get(audience);
    if (cached !== undefined) return cached;
    const api = await this.store.findByAudience(audience);
    this.byAudience.set(audience, api, this.now() + CACHE_SECONDS);
    return api;
  }

  list(): Promise<ResourceServerRecord[]> {
    return this.store.list();
  }

  /**
   * The key that signs this API's tokens: its own HS256 secret (whose `kid` is the API id),
   * or the server's current key of the API's algorithm.
   */
  signingKeyFor(api: ResourceServerRecord | null): SigningKey | undefined {
    if (api?.alg === 'HS256') return this.hmacKey(api);
    return this.signingKeys.signingKey((api?.alg ?? 'ES256') as AsymmetricAlg);
  }

  /** The HS256 key of the API whose id is `kid`, to check a token we issued for it. */
  async hmacKeyById(kid: string): Promise<SigningKey | undefined> {
    const api = await this.store.findById(kid);
    return api?.alg === 'HS256' ? this.hmacKey(api) : undefined;
  }

  private hmacKey(api: ResourceServerRecord): SigningKey | undefined {
    if (api.secretSealed === null) return undefined;
    let key = this.hmacKeys.get(api.id);
    if (key === undefined) {
      const secret = this.sealer.open(api.secretSealed, sealContext(api.id)).toString();
      key = { kid: api.id, alg: 'HS256', key: createSecretKey(Buffer.from(secret, 'base64url')) };
      this.hmacKeys.set(api.id, key);
    }
    return key;
  }
}

const sealContext = (id: string) => `api-secret:${id}`;
