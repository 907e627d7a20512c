/**
 * DPoP for the gateway benchmark (issue 6): a DPoP-bound access token from the authorization
 * server, the gateway's nonce, pools of fresh proofs signed before a phase, and the in-process
 * cost of `verifyDpopProof` against a raw `node:crypto` ES256 verification.
 */
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, verify } from 'node:crypto';
import {
  type DpopKey,
  DpopNonces,
  dpopKey,
  jwkThumbprint,
  normalizeHtu,
  signDpopProof,
  verifyDpopProof,
} from '@tessera/core';

/** A fresh P-256 key a client proves possession of. */
export function newDpopKey(): DpopKey {
  return dpopKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, 'ES256');
}

/**
 * A client-credentials access token bound to `key`: the first request, whose proof has no
 * nonce, is answered `400 use_dpop_nonce` with the server's `DPoP-Nonce`; the second carries it.
 */
export async function mintDpopToken(
  issuer: string,
  clientId: string,
  secret: string,
  key: DpopKey,
): Promise<string> {
  const metadata = (await (await fetch(`${issuer}/.well-known/oauth-authorization-server`)).json()) as {
    token_endpoint: string;
  };
  const url = metadata.token_endpoint;
  const authorization = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
  const send = (nonce?: string) =>
    fetch(url, {
      method: 'POST',
      headers: {
        authorization,
        'content-type': 'application/x-www-form-urlencoded',
        dpop: signDpopProof(key, { method: 'POST', url, nonce }),
      },
      body: 'grant_type=client_credentials',
    });
  const first = await send();
  const nonce = first.headers.get('dpop-nonce');
  const firstBody = (await first.json()) as { error?: string };
  if (first.status !== 400 || firstBody.error !== 'use_dpop_nonce' || nonce === null)
    throw new Error(`expected 400 use_dpop_nonce first, got ${first.status} ${JSON.stringify(firstBody)}`);
  const second = await send(nonce);
  const body = (await second.json()) as { access_token?: string; token_type?: string };
  if (second.status !== 200 || body.token_type !== 'DPoP' || body.access_token === undefined)
    throw new Error(`DPoP token request: ${second.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

/** The gateway's current nonce, from the `401` to a proof that carries none. */
export async function gatewayNonce(url: string, token: string, key: DpopKey): Promise<string> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      authorization: `DPoP ${token}`,
      dpop: signDpopProof(key, { method: 'POST', url, accessToken: token }),
    },
  });
  await response.arrayBuffer();
  const nonce = response.headers.get('dpop-nonce');
  if (response.status !== 401 || nonce === null)
    throw new Error(`expected 401 with a DPoP-Nonce from the gateway, got ${response.status}`);
  return nonce;
}

/** `count` proofs for `POST url` with `token`, each with its own `jti`. */
export function signProofs(
  key: DpopKey,
  input: { url: string; token: string; nonce: string; count: number },
): string[] {
  const proofs: string[] = new Array(input.count);
  for (let i = 0; i < input.count; i++) {
    proofs[i] = signDpopProof(key, {
      method: 'POST',
      url: input.url,
      accessToken: input.token,
      nonce: input.nonce,
    });
  }
  return proofs;
}

/** Microseconds per call, in process, each the best of `rounds` passes over the same inputs. */
export interface ProofCosts {
  /** `verifyDpopProof` of `@tessera/core`: parsing, checks, ES256 verification. */
  readonly verifyDpopProof: number;
  /** `node:crypto` ES256 verify alone over the proofs' signed bytes, key imported once. */
  readonly rawVerify: number;
  /** pieces of `verifyDpopProof` and of the gateway's DPoP scheme, for where the difference goes */
  readonly jwkThumbprint: number;
  readonly normalizeHtu: number;
  readonly athHash: number;
  readonly nonceCheck: number;
}

/**
 * Measures, in this process, what one DPoP proof costs a verifier, against the floor: one raw
 * ES256 verification of the same bytes. Interleaved rounds; the best of each is kept, since
 * noise only ever slows a pass down.
 */
export function proofVerificationCosts(count = 2000, rounds = 7): ProofCosts {
  const key = newDpopKey();
  const url = 'http://127.0.0.1:8080/protected';
  const token = `${'a'.repeat(300)}.${'b'.repeat(300)}.${'c'.repeat(86)}`;
  const nonces = new DpopNonces(randomBytes(32));
  const now = Math.floor(Date.now() / 1000);
  const nonce = nonces.current(now);
  const proofs = signProofs(key, { url, token, nonce, count });
  const raw = proofs.map((proof) => {
    const [h = '', p = '', s = ''] = proof.split('.');
    return { data: Buffer.from(`${h}.${p}`), signature: Buffer.from(s, 'base64url') };
  });
  const publicKey = createPublicKey(key.privateKey);
  const jwk = key.publicJwk;
  let sink = 0;

  const cases: Record<keyof ProofCosts, () => void> = {
    verifyDpopProof: () => {
      for (const proof of proofs) {
        const result = verifyDpopProof(proof, { method: 'POST', url, accessToken: token, now });
        if (!result.ok) throw new Error(result.reason);
      }
    },
    rawVerify: () => {
      for (const { data, signature } of raw) {
        if (!verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature))
          throw new Error('raw verify failed');
      }
    },
    jwkThumbprint: () => {
      for (let i = 0; i < count; i++) sink += jwkThumbprint(jwk)?.length ?? 0;
    },
    normalizeHtu: () => {
      for (let i = 0; i < count; i++) sink += normalizeHtu(url)?.length ?? 0;
    },
    athHash: () => {
      for (let i = 0; i < count; i++) sink += createHash('sha256').update(token).digest('base64url').length;
    },
    nonceCheck: () => {
      for (let i = 0; i < count; i++) if (nonces.isValid(nonce, now)) sink++;
    },
  };
  const best = Object.fromEntries(
    Object.keys(cases).map((name) => [name, Number.POSITIVE_INFINITY]),
  ) as Record<keyof ProofCosts, number>;
  for (const run of Object.values(cases)) run(); // warm-up
  for (let round = 0; round < rounds; round++) {
    for (const [name, run] of Object.entries(cases) as [keyof ProofCosts, () => void][]) {
      const started = performance.now();
      run();
      best[name] = Math.min(best[name], ((performance.now() - started) * 1000) / count);
    }
  }
  if (sink < 0) console.log(sink);
  return best;
}
