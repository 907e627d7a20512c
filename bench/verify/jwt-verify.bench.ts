// Verifications per second of one RFC 9068 access token, per algorithm:
//   raw       node:crypto.verify on pre-decoded bytes: the ceiling, no JWT work at all
//   jose      jwtVerify (awaited one at a time), with typ, iss, aud and alg checks
//   fast-jwt  createVerifier (sync, its cache off), with the same checks
//   cold      @tessera/verify, verified-token cache off: every check, every time
//   repeated  @tessera/verify, the same token again (cache hit)
//   repeated* the same, but the token is sliced out of an Authorization header on each
//             call, so the cache must hash a fresh string, as a server does
// The machine is shared, so contenders run interleaved in short slices over several
// rounds, rates count CPU time of this process (all its threads, so jose's WebCrypto
// work counts too) as well as wall time; figures are medians, and "× raw" is the median
// of per-round ratios.
//
// node --conditions=tessera-source --import tsx bench/verify/jwt-verify.bench.ts [seconds-per-case]
import { generateKeyPairSync, type KeyObject, verify } from 'node:crypto';
import {
  createInMemoryKeySource,
  createJwtVerifier,
  createVerificationKey,
  type JwsAlgorithm,
} from '@tessera/verify';
import { createVerifier } from 'fast-jwt';
import { jwtVerify, SignJWT } from 'jose';

const ISSUER = 'https://auth.example.com';
const AUDIENCE = 'https://api.example.com';
const ROUNDS = 7;
const secondsPerCase = Number(process.argv[2] ?? 4);

type Contender = { name: string; run: (iterations: number) => number | Promise<number> };

const setups: {
  alg: JwsAlgorithm;
  pair: () => { publicKey: KeyObject; privateKey: KeyObject };
  hash: string | null;
  dsa?: 'ieee-p1363';
}[] = [
  {
    alg: 'ES256',
    pair: () => generateKeyPairSync('ec', { namedCurve: 'P-256' }),
    hash: 'sha256',
    dsa: 'ieee-p1363',
  },
  { alg: 'RS256', pair: () => generateKeyPairSync('rsa', { modulusLength: 2048 }), hash: 'sha256' },
  { alg: 'EdDSA', pair: () => generateKeyPairSync('ed25519'), hash: null },
];

let sink = 0;

async function contendersFor(setup: (typeof setups)[number]): Promise<Contender[]> {
  const { publicKey, privateKey } = setup.pair();
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({
    client_id: 's6BhdRkqt3',
    scope: 'openid profile reports:read',
    auth_time: now - 120,
  })
    .setProtectedHeader({ alg: setup.alg, typ: 'at+jwt', kid: 'signing-key-2026-11' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject('5ba552d67')
    .setJti('dbe39bf3a3ba4238a513f51d6e1691c4')
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(privateKey);

  const [header, payload, signature] = token.split('.');
  const signingInput = Buffer.from(`${header}.${payload}`, 'latin1');
  const signatureBytes = Buffer.from(signature ?? '', 'base64url');
  const rawKey = setup.dsa === undefined ? publicKey : { key: publicKey, dsaEncoding: setup.dsa };

  const keys = createInMemoryKeySource([
    createVerificationKey(publicKey, { alg: setup.alg, kid: 'signing-key-2026-11' }),
  ]);
  const cold = createJwtVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    keys,
    algorithms: [setup.alg],
    cache: false,
  });
  const cached = createJwtVerifier({ issuer: ISSUER, audience: AUDIENCE, keys, algorithms: [setup.alg] });
  const fast = createVerifier({
    key: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    algorithms: [setup.alg],
    allowedIss: ISSUER,
    allowedAud: AUDIENCE,
    checkTyp: 'at+jwt',
    requiredClaims: ['iss', 'aud', 'exp', 'iat', 'sub', 'client_id', 'jti'],
    cache: false,
  });
  const joseOptions = { issuer: ISSUER, audience: AUDIENCE, typ: 'at+jwt', algorithms: [setup.alg] };
  const authorization = `Bearer ${token}`;

  // Everyone must accept the token before anyone is timed.
  const coldResult = cold.verify(token);
  if (coldResult instanceof Promise || !coldResult.ok) throw new Error('cold path refused the token');
  if (!verify(setup.hash, signingInput, rawKey, signatureBytes)) throw new Error('raw refused');
  fast(token);
  await jwtVerify(token, publicKey, joseOptions);

  const sync =
    (body: () => unknown): Contender['run'] =>
    (iterations) => {
      let accepted = 0;
      for (let index = 0; index < iterations; index += 1) if (body()) accepted += 1;
      return accepted;
    };
  const okOf = (result: ReturnType<typeof cold.verify>) => !(result instanceof Promise) && result.ok;

  // jose last in each round: its promise and WebCrypto garbage then weighs on no one else's slice.
  return [
    { name: 'raw node:crypto', run: sync(() => verify(setup.hash, signingInput, rawKey, signatureBytes)) },
    { name: 'tessera cold', run: sync(() => okOf(cold.verify(token))) },
    { name: 'tessera repeated', run: sync(() => okOf(cached.verify(token))) },
    { name: 'tessera repeated*', run: sync(() => okOf(cached.verify(authorization.slice(7)))) },
    { name: 'fast-jwt', run: sync(() => fast(token)) },
    {
      name: 'jose jwtVerify',
      run: async (iterations) => {
        let accepted = 0;
        for (let index = 0; index < iterations; index += 1) {
          if ((await jwtVerify(token, publicKey, joseOptions)).payload) accepted += 1;
        }
        return accepted;
      },
    },
  ];
}

/** Rates over one slice, per CPU second of this process (all threads) and per wall second. */
async function measure(contender: Contender, milliseconds: number): Promise<{ cpu: number; wall: number }> {
  let iterations = 0;
  let batch = 16;
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < milliseconds) {
    sink += await contender.run(batch);
    iterations += batch;
    elapsed = performance.now() - start;
    if (elapsed < milliseconds / 4) batch *= 2;
  }
  const cpu = process.cpuUsage(cpuStart);
  return { cpu: iterations / ((cpu.user + cpu.system) / 1e6), wall: iterations / (elapsed / 1000) };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

const format = (value: number): string => Math.round(value).toLocaleString('en-US').padStart(12);

console.log(`Node ${process.version}, ${ROUNDS} interleaved rounds, ~${secondsPerCase} s per algorithm\n`);
for (const setup of setups) {
  const contenders = await contendersFor(setup);
  for (const contender of contenders) await measure(contender, 50); // warm-up
  const slice = (secondsPerCase * 1000) / ROUNDS / contenders.length;
  const rates = contenders.map(() => [] as { cpu: number; wall: number }[]);
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const [index, contender] of contenders.entries())
      rates[index]?.push(await measure(contender, slice));
  }
  const raw = rates[0] ?? [];
  const ratio = (own: { cpu: number; wall: number }[], kind: 'cpu' | 'wall') =>
    median(own.map((rate, round) => rate[kind] / (raw[round]?.[kind] ?? Number.NaN)));
  console.log(`${setup.alg.padEnd(22)}verif./CPU-s    × raw (CPU)   × raw (wall)`);
  for (const [index, contender] of contenders.entries()) {
    const own = rates[index] ?? [];
    console.log(
      `  ${contender.name.padEnd(20)}${format(median(own.map((rate) => rate.cpu)))}` +
        `${ratio(own, 'cpu').toFixed(2).padStart(13)}×${ratio(own, 'wall').toFixed(2).padStart(13)}×`,
    );
  }
  console.log('');
}
if (sink === 0) console.log('(nothing accepted?)');
