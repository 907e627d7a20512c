/**
 * API-key verification cost against the number of keys stored: 1 thousand and 1 million
 * keys in SQLite, each verified cold (first sight: checksum, keyed hash, indexed lookup)
 * and warm (cached). The target: p99 with a million keys within 1.5x of p99 with a thousand.
 *
 * Run: node --conditions=tessera-source --import tsx bench/apikeys/apikey-lookup.bench.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiKeyDisplayPrefix, mintApiKey } from '@tessera/core';
import { openTessera, type Tessera } from '../../packages/server/src/app/tessera.js';

const SAMPLE = 20_000;
const BATCH = 500;

async function fill(tessera: Tessera, count: number): Promise<string[]> {
  const sampled: string[] = [];
  const now = Math.floor(Date.now() / 1000);
  for (let start = 0; start < count; start += BATCH * 20) {
    await tessera.database.db.transaction().execute(async (trx) => {
      for (let batch = start; batch < Math.min(count, start + BATCH * 20); batch += BATCH) {
        const rows = [];
        for (let i = batch; i < Math.min(count, batch + BATCH); i++) {
          const key = mintApiKey('live');
          if (sampled.length < SAMPLE && i % Math.max(1, Math.floor(count / SAMPLE)) === 0) sampled.push(key);
          rows.push({
            id: `key_bench_${i}`,
            name: 'bench',
            hash: tessera.minter.hash(key),
            display_prefix: apiKeyDisplayPrefix(key),
            env: 'live',
            scopes: '["read"]',
            created_at: now,
            expires_at: null,
            revoked_at: null,
            last_used_at: null,
            successor_id: null,
            rate_limit: null,
          });
        }
        await trx.insertInto('api_keys').values(rows).execute();
      }
    });
  }
  return sampled;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN;
}

async function measure(keys: string[], verify: (key: string) => Promise<unknown>) {
  const times: number[] = [];
  const started = process.hrtime.bigint();
  for (const key of keys) {
    const t = process.hrtime.bigint();
    if ((await verify(key)) === null) throw new Error('a stored key did not verify');
    times.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  times.sort((a, b) => a - b);
  return { perSecond: keys.length / seconds, p50: percentile(times, 0.5), p99: percentile(times, 0.99) };
}

/** Runs the whole path once on a throwaway database, so the first measured size is not also warming the JIT. */
async function warmUp(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-apikey-bench-'));
  const tessera = await openTessera({
    database: { dialect: 'sqlite', path: join(dir, 't.db') },
    masterKey: { fromEnv: undefined, file: join(dir, 'master.key') },
  });
  const keys = await fill(tessera, 5_000);
  await measure(keys, (key) => tessera.apiKeys.verify(key));
  await tessera.close();
  rmSync(dir, { recursive: true, force: true });
}

await warmUp();
const results: Record<
  string,
  { cold: Awaited<ReturnType<typeof measure>>; warm: Awaited<ReturnType<typeof measure>> }
> = {};
for (const count of [1_000, 1_000_000]) {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-apikey-bench-'));
  const location = { dialect: 'sqlite' as const, path: join(dir, 't.db') };
  const masterKey = { fromEnv: undefined, file: join(dir, 'master.key') };
  const loader = await openTessera({ database: location, masterKey });
  const filling = Date.now();
  const sampled = await fill(loader, count);
  process.stdout.write(`${count} keys stored in ${((Date.now() - filling) / 1000).toFixed(1)} s\n`);
  await loader.close();
  // A fresh instance: nothing cached, as after a restart.
  const tessera = await openTessera({ database: location, masterKey });
  const keys = Array.from({ length: SAMPLE }, (_, i) => sampled[i % sampled.length] as string);
  // The same number of first sights at every size, so the percentiles compare; then the
  // same keys again and again, now cached.
  const firstSights = [...new Set(keys)].slice(0, 1000);
  const cold = await measure(firstSights, (key) => tessera.apiKeys.verify(key));
  const warm = await measure(
    keys.map((_, i) => firstSights[i % firstSights.length] as string),
    (key) => tessera.apiKeys.verify(key),
  );
  results[count] = { cold, warm };
  await tessera.close();
  rmSync(dir, { recursive: true, force: true });
}

const row = (label: string, r: { perSecond: number; p50: number; p99: number }) =>
  `${label.padEnd(24)} ${r.perSecond.toFixed(0).padStart(9)}/s  p50 ${r.p50.toFixed(1).padStart(6)} µs  p99 ${r.p99.toFixed(1).padStart(6)} µs`;
process.stdout.write(`\nNode ${process.version}\n`);
for (const [count, r] of Object.entries(results)) {
  process.stdout.write(`${row(`${count} keys, cold`, r.cold)}\n${row(`${count} keys, warm`, r.warm)}\n`);
}
const small = results[1000];
const large = results[1_000_000];
if (small && large) {
  for (const phase of ['cold', 'warm'] as const) {
    const ratio = large[phase].p99 / small[phase].p99;
    process.stdout.write(
      `${phase} p99 1M/1k: ${ratio.toFixed(2)}x (target <= 1.5x): ${ratio <= 1.5 ? 'PASS' : 'FAIL'}\n`,
    );
  }
}
