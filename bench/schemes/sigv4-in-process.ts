/**
 * SigV4 verification in one process: `verifySigV4Request` of `@tessera/core` against the
 * least any verifier holding the day's derived key must compute, done with `node:crypto`
 * directly (the physical limit): SHA-256 of the body, SHA-256 of the canonical request,
 * HMAC-SHA256 of the string to sign, a constant-time comparison.
 *
 * Every request is distinct (an `x-request-id` header), signed beforehand by
 * `signSigV4Request`, so the replay check (a Map, as the gateway keeps) accepts each once.
 * The two contenders run in alternating slices over several rounds, so a busy neighbour
 * slows both alike; the ratio is the median of the per-round ratios.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  deriveSigV4SigningKey,
  type SigV4Request,
  signSigV4Request,
  verifySigV4Request,
} from '@tessera/core';

const REGION = 'local';
const SERVICE = 'billing';
const HOST = '127.0.0.1:8081';
const PATH = '/v1/charges';
const EMPTY = Buffer.alloc(0);

interface Signed {
  readonly request: SigV4Request;
  /** What the raw contender is given: the canonical request, the date, the presented signature. */
  readonly canonical: string;
  readonly amzDate: string;
  readonly signature: Buffer;
}

export interface Rate {
  readonly perSecond: number;
  readonly p50Us: number;
  readonly p99Us: number;
}

export interface SigV4InProcessResult {
  readonly tessera: Rate;
  readonly raw: Rate;
  /** The raw limit if the verifier also derived the day's key from the secret each time (4 more HMACs). */
  readonly rawWithDerivation: Rate;
  /** Median over rounds of Tessera's rate / the raw rate. */
  readonly ratio: number;
  readonly ratioWithDerivation: number;
  readonly rounds: number;
  readonly perRound: number;
}

/** Signs `count` distinct GETs the way a client would, under one of a few credentials. */
function signRequests(count: number, credentials: readonly { id: string; secret: string }[]): Signed[] {
  const signed: Signed[] = [];
  const now = Date.now();
  for (let i = 0; i < count; i++) {
    const credential = credentials[i % credentials.length] as { id: string; secret: string };
    const requestId = `req-${i.toString(36)}-${randomBytes(4).toString('hex')}`;
    const signature = signSigV4Request({
      method: 'GET',
      url: `http://${HOST}${PATH}`,
      headers: { 'x-request-id': requestId },
      accessKeyId: credential.id,
      secretAccessKey: credential.secret,
      region: REGION,
      service: SERVICE,
      now,
    });
    const presented = /Signature=([0-9a-f]{64})$/.exec(signature.authorization)?.[1] ?? '';
    // What Node's rawHeaders hold for such a request (autocannon's header order).
    const rawHeaders = [
      'Host',
      HOST,
      'Connection',
      'keep-alive',
      'x-request-id',
      requestId,
      'authorization',
      signature.authorization,
      'x-amz-date',
      signature.amzDate,
      'x-amz-content-sha256',
      signature.contentSha256,
    ];
    const canonical = [
      'GET',
      PATH,
      '',
      `host:${HOST}\nx-amz-content-sha256:${signature.contentSha256}\nx-amz-date:${signature.amzDate}\nx-request-id:${requestId}\n`,
      signature.signedHeaders.join(';'),
      signature.contentSha256,
    ].join('\n');
    signed.push({
      request: { method: 'GET', target: PATH, rawHeaders, body: EMPTY },
      canonical,
      amzDate: signature.amzDate,
      signature: Buffer.from(presented, 'hex'),
    });
  }
  return signed;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * p) - 1))] ?? Number.NaN;
}

function summarize(times: Float64Array, seconds: number): Rate {
  times.sort();
  return { perSecond: times.length / seconds, p50Us: percentile(times, 0.5), p99Us: percentile(times, 0.99) };
}

export async function runSigV4InProcess(options: {
  readonly rounds: number;
  readonly perRound: number;
  readonly log: (line: string) => void;
}): Promise<SigV4InProcessResult> {
  const credentials = Array.from({ length: 4 }, (_, i) => ({
    id: `TKIABENCH${i}`,
    secret: randomBytes(32).toString('base64url'),
  }));
  const secretOf = new Map(credentials.map((c) => [c.id, c.secret]));
  // The gateway's key client keeps each day's derived key; so does this lookup.
  const derived = new Map<string, Buffer>();
  const signingKeyFor = (id: string, date: string, region: string, service: string) => {
    const cacheKey = `${id}/${date}/${region}/${service}`;
    let key = derived.get(cacheKey);
    if (key === undefined) {
      const secret = secretOf.get(id);
      if (secret === undefined) return undefined;
      key = deriveSigV4SigningKey(secret, date, region, service);
      derived.set(cacheKey, key);
    }
    return key;
  };
  const seenUntil = new Map<string, number>();
  const seen = (signature: string, untilMs: number) => {
    const until = seenUntil.get(signature);
    if (until !== undefined && until > Date.now()) return true;
    seenUntil.set(signature, untilMs);
    return false;
  };
  const scopeOf = (amzDate: string) => `${amzDate.slice(0, 8)}/${REGION}/${SERVICE}/aws4_request`;

  const tessera = async (batch: readonly Signed[], times: Float64Array) => {
    const started = process.hrtime.bigint();
    for (let i = 0; i < batch.length; i++) {
      const t = process.hrtime.bigint();
      const result = await verifySigV4Request((batch[i] as Signed).request, {
        region: REGION,
        service: SERVICE,
        signingKeyFor,
        seen,
      });
      times[i] = Number(process.hrtime.bigint() - t) / 1000;
      if (!result.ok) throw new Error(`verifySigV4Request refused a good request: ${result.error.message}`);
    }
    return Number(process.hrtime.bigint() - started) / 1e9;
  };
  const raw = (batch: readonly Signed[], times: Float64Array, derive: boolean) => {
    const started = process.hrtime.bigint();
    const credentialIds = credentials.map((c) => c.id);
    for (let i = 0; i < batch.length; i++) {
      const t = process.hrtime.bigint();
      const item = batch[i] as Signed;
      const date = item.amzDate.slice(0, 8);
      const id = credentialIds[i % credentialIds.length] as string;
      let key: Buffer;
      if (derive) {
        const secret = secretOf.get(id) as string;
        const kDate = createHmac('sha256', `AWS4${secret}`).update(date).digest();
        const kRegion = createHmac('sha256', kDate).update(REGION).digest();
        const kService = createHmac('sha256', kRegion).update(SERVICE).digest();
        key = createHmac('sha256', kService).update('aws4_request').digest();
      } else {
        key = signingKeyFor(id, date, REGION, SERVICE) as Buffer;
      }
      createHash('sha256').update(EMPTY).digest('hex');
      const canonicalHash = createHash('sha256').update(item.canonical).digest('hex');
      const expected = createHmac('sha256', key)
        .update(`AWS4-HMAC-SHA256\n${item.amzDate}\n${scopeOf(item.amzDate)}\n${canonicalHash}`)
        .digest();
      const match = timingSafeEqual(expected, item.signature);
      times[i] = Number(process.hrtime.bigint() - t) / 1000;
      if (!match) throw new Error('the raw HMAC chain does not reproduce the signature');
    }
    return Number(process.hrtime.bigint() - started) / 1e9;
  };

  // Warm-up: the JIT sees every path before anything is measured.
  const warm = signRequests(3000, credentials);
  await tessera(warm, new Float64Array(warm.length));
  raw(warm, new Float64Array(warm.length), false);
  raw(warm, new Float64Array(warm.length), true);

  options.log(`  signing ${options.rounds} × ${options.perRound} distinct requests…`);
  const rounds = Array.from({ length: options.rounds }, () => signRequests(options.perRound, credentials));
  const all = {
    tessera: { times: [] as Float64Array[], seconds: 0 },
    raw: { times: [] as Float64Array[], seconds: 0 },
    derive: { times: [] as Float64Array[], seconds: 0 },
  };
  const ratios: number[] = [];
  const derivedRatios: number[] = [];
  for (const batch of rounds) {
    const times = {
      tessera: new Float64Array(batch.length),
      raw: new Float64Array(batch.length),
      derive: new Float64Array(batch.length),
    };
    const seconds = {
      tessera: await tessera(batch, times.tessera),
      raw: raw(batch, times.raw, false),
      derive: raw(batch, times.derive, true),
    };
    for (const name of ['tessera', 'raw', 'derive'] as const) {
      all[name].times.push(times[name]);
      all[name].seconds += seconds[name];
    }
    ratios.push(seconds.raw / seconds.tessera);
    derivedRatios.push(seconds.derive / seconds.tessera);
  }
  const merged = (name: keyof typeof all) => {
    const length = all[name].times.reduce((sum, t) => sum + t.length, 0);
    const out = new Float64Array(length);
    let offset = 0;
    for (const t of all[name].times) {
      out.set(t, offset);
      offset += t.length;
    }
    return summarize(out, all[name].seconds);
  };
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  return {
    tessera: merged('tessera'),
    raw: merged('raw'),
    rawWithDerivation: merged('derive'),
    ratio: median(ratios),
    ratioWithDerivation: median(derivedRatios),
    rounds: options.rounds,
    perRound: options.perRound,
  };
}
