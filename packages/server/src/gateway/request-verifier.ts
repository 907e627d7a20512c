/**
 * What the gateway needs of a verifier, as a narrow interface, and the one it uses in
 * production: `@tessera/verify`'s, discovering everything from the issuer.
 */
import { createVerifier, type ScopePolicy, type VerifyOutcome, type VerifyRequest } from '@tessera/verify';
import type { GatewayScheme } from './gateway-config.js';

/** The part of `@tessera/verify`'s `Verifier` the gateway calls once it is ready. */
export interface RequestVerifier {
  /** Never throws: every bad credential is a refusal. */
  verify(request: VerifyRequest, policy: ScopePolicy): Promise<VerifyOutcome>;
  close(): void;
}

/** What a verifier is built from: the gateway's config and its own URL. */
export interface RequestVerifierSettings {
  readonly issuer: string;
  readonly audience: string;
  readonly schemes: readonly GatewayScheme[];
  readonly credentials: { readonly clientId: string; readonly clientSecret: string };
  /** The credential scope signed requests must name, with the sigv4 scheme. */
  readonly sigv4: { readonly region: string; readonly service: string } | undefined;
  /**
   * With the dpop scheme: the origin proofs name in `htu` (else each request's own), and the
   * nonce key (else random per process).
   */
  readonly dpop?:
    | { readonly origin: string | undefined; readonly nonceKey: Uint8Array | undefined }
    | undefined;
  /** Named in 401 challenges (RFC 9728 §5.1). */
  readonly resourceMetadataUrl: string;
  /** Told of background failures (revocation feed, JWKS); never of a credential. */
  readonly onError: (error: Error) => void;
}

/** Builds a verifier and resolves once it is ready (metadata, keys, first revocation page loaded). */
export type RequestVerifierFactory = (settings: RequestVerifierSettings) => Promise<RequestVerifier>;

/**
 * The production verifier: `createVerifier` of `@tessera/verify`, pointed at the issuer.
 * Rejects when the issuer cannot be reached, so a gateway never starts blind.
 *
 * @example
 * ```ts
 * const verifier = await issuerVerifier({ issuer: 'http://127.0.0.1:8080', audience: 'billing-api',
 *   schemes: ['bearer'], credentials, resourceMetadataUrl, onError: console.error });
 * ```
 */
export const issuerVerifier: RequestVerifierFactory = async (settings) => {
  const verifier = createVerifier({
    issuer: settings.issuer,
    audience: settings.audience,
    schemes: settings.schemes,
    credentials: { clientId: settings.credentials.clientId, clientSecret: settings.credentials.clientSecret },
    resourceMetadataUrl: settings.resourceMetadataUrl,
    onError: settings.onError,
    ...(settings.sigv4 ? { sigv4: { region: settings.sigv4.region, service: settings.sigv4.service } } : {}),
    ...(settings.dpop ? { dpop: { origin: settings.dpop.origin, nonceKey: settings.dpop.nonceKey } } : {}),
  });
  try {
    await verifier.ready();
  } catch (error) {
    verifier.close();
    throw error;
  }
  return verifier;
};
