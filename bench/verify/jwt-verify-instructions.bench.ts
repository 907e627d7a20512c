// Instructions per JWT verification, counted by valgrind's callgrind, for the cold path of
// @tessera/verify (cache off) against raw node:crypto.verify of the same token's bytes.
// Counts do not move with the machine's load, unlike the CPU time of jwt-verify.bench.ts;
// they do not weigh cache misses either, so they bound our own work, not the time it takes.
//
// Each (algorithm, contender) runs twice under callgrind with the same key and token: 3,000
// warm-up verifications, then 1,000 or 3,000 more. The difference, over 2,000, is the count
// of one steady-state verification: start-up, key generation and JIT warm-up cancel out.
// What does not cancel is a garbage collection or an optimisation that lands in one run's
// extra part and not the other's: repeated runs differ by up to ~50,000 instructions a
// verification (EdDSA once came out cheaper than raw), so read the ratios to ±5%.
//
// node --conditions=tessera-source --import tsx bench/verify/jwt-verify-instructions.bench.ts
//   (needs valgrind; about 3 minutes on 2 cores)
import { execFile } from 'node:child_process';
import { createPrivateKey, createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  createInMemoryKeySource,
  createJwtVerifier,
  createVerificationKey,
  type JwsAlgorithm,
} from '@tessera/verify';
import { SignJWT } from 'jose';

const WARMUP = 3000;
const SHORT = 1000;
const LONG = 3000;
const ALGORITHMS = ['ES256', 'RS256', 'EdDSA'] as const;
const CONTENDERS = ['raw', 'tessera'] as const;
type Algorithm = (typeof ALGORITHMS)[number];
type Contender = (typeof CONTENDERS)[number];

const ISSUER = 'https://auth.example.com';
const AUDIENCE = 'https://api.example.com';

if (process.argv[2] === '--child') {
  await runChild(process.argv[3] as string, process.argv[4] as Contender, Number(process.argv[5]));
} else {
  await runParent();
}

/** One measured process: signs the token from the saved key, then verifies it WARMUP + n times. */
async function runChild(keyFile: string, contender: Contender, n: number): Promise<void> {
  const { alg, pem } = JSON.parse(readFileSync(keyFile, 'utf8')) as { alg: Algorithm; pem: string };
  const privateKey = createPrivateKey(pem);
  const publicKey = createPublicKey(privateKey);
  // Fixed for the day, so both runs of a pair verify the very same token.
  const now = Math.floor(Date.now() / 86_400_000) * 86_400;
  const token = await new SignJWT({ client_id: 's6BhdRkqt3', scope: 'openid profile reports:read' })
    .setProtectedHeader({ alg, typ: 'at+jwt', kid: 'signing-key' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject('5ba552d67')
    .setJti('dbe39bf3a3ba4238a513f51d6e1691c4')
    .setIssuedAt(now)
    .setExpirationTime(now + 3 * 86_400)
    .sign(privateKey);
  const [header, payload, signature] = token.split('.');
  const signingInput = Buffer.from(`${header}.${payload}`, 'latin1');
  const signatureBytes = Buffer.from(signature ?? '', 'base64url');
  const hash = alg === 'EdDSA' ? null : 'sha256';
  const rawKey = alg === 'ES256' ? { key: publicKey, dsaEncoding: 'ieee-p1363' as const } : publicKey;
  const verifier = createJwtVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    keys: createInMemoryKeySource([createVerificationKey(publicKey, { alg, kid: 'signing-key' })]),
    algorithms: [alg as JwsAlgorithm],
    cache: false,
  });
  const once =
    contender === 'raw'
      ? () => verify(hash, signingInput, rawKey, signatureBytes)
      : () => {
          const result = verifier.verify(token);
          return !(result instanceof Promise) && result.ok;
        };
  let accepted = 0;
  for (let index = 0; index < WARMUP + n; index += 1) if (once()) accepted += 1;
  if (accepted !== WARMUP + n) throw new Error(`${contender} refused the token`);
}

async function runParent(): Promise<void> {
  const run = promisify(execFile);
  const dir = mkdtempSync(join(tmpdir(), 'tessera-instructions-'));
  const self = fileURLToPath(import.meta.url);
  try {
    const jobs: { alg: Algorithm; contender: Contender; n: number; keyFile: string }[] = [];
    for (const alg of ALGORITHMS) {
      const keyFile = join(dir, `${alg}.json`);
      writeFileSync(keyFile, JSON.stringify({ alg, pem: newPrivateKeyPem(alg) }));
      for (const contender of CONTENDERS) {
        for (const n of [SHORT, LONG]) jobs.push({ alg, contender, n, keyFile });
      }
    }
    const counts = new Map<string, number>();
    const instructions = async (job: (typeof jobs)[number]) => {
      const { stderr } = await run(
        'valgrind',
        [
          '--tool=callgrind',
          '--callgrind-out-file=/dev/null',
          process.execPath,
          '--conditions=tessera-source',
          '--import',
          'tsx',
          self,
          '--child',
          job.keyFile,
          job.contender,
          String(job.n),
        ],
        { maxBuffer: 16 * 1024 * 1024 },
      );
      const collected = /Collected : (\d+)/.exec(stderr)?.[1];
      if (collected === undefined) throw new Error(`no count from callgrind:\n${stderr.slice(-2000)}`);
      counts.set(`${job.alg} ${job.contender} ${job.n}`, Number(collected));
    };
    const queue = [...jobs];
    const worker = async () => {
      for (let job = queue.shift(); job !== undefined; job = queue.shift()) await instructions(job);
    };
    await Promise.all(Array.from({ length: Math.max(1, availableParallelism()) }, worker));

    console.log(`Node ${process.version}; instructions per verification (callgrind), steady state\n`);
    console.log('alg      raw node:crypto   tessera cold   our own work   cold × raw');
    for (const alg of ALGORITHMS) {
      const perVerification = (contender: Contender) =>
        ((counts.get(`${alg} ${contender} ${LONG}`) ?? Number.NaN) -
          (counts.get(`${alg} ${contender} ${SHORT}`) ?? Number.NaN)) /
        (LONG - SHORT);
      const raw = perVerification('raw');
      const cold = perVerification('tessera');
      const format = (value: number) => Math.round(value).toLocaleString('en-US').padStart(15);
      console.log(
        `${alg.padEnd(6)}${format(raw)}${format(cold)}${format(cold - raw)}${(raw / cold).toFixed(3).padStart(12)}×`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function newPrivateKeyPem(alg: Algorithm): string {
  const { privateKey } =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : alg === 'RS256'
        ? generateKeyPairSync('rsa', { modulusLength: 2048 })
        : generateKeyPairSync('ed25519');
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}
