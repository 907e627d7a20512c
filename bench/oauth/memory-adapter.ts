/**
 * A plain in-memory storage adapter for `oidc-provider`, used only by the benchmark.
 *
 * The adapter `oidc-provider` ships (`lib/adapters/memory_adapter.js`) keeps at most ~2000 entries in
 * one LRU shared by every model, so under a token-endpoint load test it evicts constantly. This one is
 * a `Map` per model with lazy expiry plus a periodic sweep, bounded so a long run cannot exhaust
 * memory (oldest entries go first, like an LRU without the re-ordering on read).
 */

interface Entry {
  payload: Record<string, unknown>;
  /** epoch milliseconds; `Number.POSITIVE_INFINITY` when the model has no TTL */
  expiresAt: number;
}

const MAX_ENTRIES_PER_MODEL = 200_000;
const SWEEP_INTERVAL_MS = 5_000;

const stores = new Map<string, Map<string, Entry>>();

function storeFor(model: string): Map<string, Entry> {
  let store = stores.get(model);
  if (store === undefined) {
    store = new Map();
    stores.set(model, store);
  }
  return store;
}

// Why: lazy expiry alone would keep every expired token of a 10 s load phase alive until read.
const sweeper = setInterval(() => {
  const now = Date.now();
  for (const store of stores.values()) {
    for (const [id, entry] of store) {
      if (entry.expiresAt <= now) store.delete(id);
    }
  }
}, SWEEP_INTERVAL_MS);
sweeper.unref();

export class BenchMemoryAdapter {
  readonly #store: Map<string, Entry>;

  constructor(model: string) {
    this.#store = storeFor(model);
  }

  async upsert(id: string, payload: Record<string, unknown>, expiresIn?: number): Promise<void> {
    const expiresAt =
      typeof expiresIn === 'number' && expiresIn > 0
        ? Date.now() + expiresIn * 1000
        : Number.POSITIVE_INFINITY;
    if (this.#store.size >= MAX_ENTRIES_PER_MODEL && !this.#store.has(id)) {
      const oldest = this.#store.keys().next();
      if (oldest.done !== true) this.#store.delete(oldest.value);
    }
    this.#store.set(id, { payload, expiresAt });
  }

  async find(id: string): Promise<Record<string, unknown> | undefined> {
    const entry = this.#store.get(id);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.#store.delete(id);
      return undefined;
    }
    return entry.payload;
  }

  async findByUserCode(): Promise<undefined> {
    return undefined;
  }

  async findByUid(): Promise<undefined> {
    return undefined;
  }

  async consume(id: string): Promise<void> {
    const entry = this.#store.get(id);
    if (entry !== undefined) entry.payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id: string): Promise<void> {
    this.#store.delete(id);
  }

  async revokeByGrantId(): Promise<void> {
    // Why: the benchmark only uses client credentials, whose tokens carry no grant.
  }
}
