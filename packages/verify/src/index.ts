export { type ClaimExpectations, checkAccessTokenClaims, type VerifiedToken } from './access-token-claims.js';
export {
  type AlgorithmFamily,
  type AlgorithmSpec,
  ASYMMETRIC_ALGORITHMS,
  algorithmSpec,
  isJwsAlgorithm,
  type JwsAlgorithm,
  SUPPORTED_ALGORITHMS,
} from './algorithms.js';
export {
  type CompactJws,
  type CompactJwsParserOptions,
  type CompactJwsResult,
  createCompactJwsParser,
  DEFAULT_MAX_TOKEN_LENGTH,
  parseCompactJws,
} from './compact-jws.js';
export { type ImportJwkOptions, importJwk, type JwkImportResult } from './import-jwk.js';
export { type JwsHeader, type JwsHeaderResult, MAX_KID_LENGTH, parseJwsHeader } from './jws-header.js';
export { type CompactJwsVerification, verifyCompactJws, verifyJwsSignature } from './jws-signature.js';
export {
  createJwtVerifier,
  type JwtVerifier,
  type JwtVerifierOptions,
  type VerifyResult,
} from './jwt-verifier.js';
export { KeySet } from './key-set.js';
export {
  createInMemoryKeySource,
  type InMemoryKeySource,
  type KeySource,
  type MaybePromise,
} from './key-source.js';
export { Rejection } from './rejection.js';
export { createRemoteJwks, type RemoteJwks, type RemoteJwksOptions } from './remote-jwks.js';
export { checkScopes } from './scope-policy.js';
export { INVALID_JSON, parseStrictJson } from './strict-json.js';
export { TokenDenyList } from './token-deny-list.js';
export type {
  Identity,
  Refusal,
  Scheme,
  SchemeName,
  ScopePolicy,
  VerifyOutcome,
  VerifyRequest,
} from './verification.js';
export {
  createHmacKey,
  createVerificationKey,
  MIN_RSA_MODULUS_BITS,
  VerificationKey,
  type VerificationKeyOptions,
} from './verification-key.js';
export { DEFAULT_CACHE_ENTRIES, VerifiedTokenCache } from './verified-token-cache.js';
export { createVerifier, type Verifier, type VerifierOptions } from './verifier.js';
