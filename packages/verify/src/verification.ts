/**
 * The shapes every scheme shares: what a verifier is shown of a request, the identity it
 * returns, and the failure it answers with.
 */
import type { TesseraError } from '@tessera/core';

/** The authentication schemes a resource server accepts. */
export type SchemeName = 'bearer' | 'dpop' | 'apikey' | 'sigv4' | 'mtls';

/** What a verifier needs of an HTTP request; every framework adapter builds one. */
export interface VerifyRequest {
  readonly method: string;
  /** The request target as received: path and query string. */
  readonly url: string;
  /** Header values by lower-case name, as Node's `IncomingMessage#headers` gives them. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /**
   * Node's `rawHeaders` (name, value, name, value…). Node keeps only the first of some
   * repeated headers (`Authorization` among them); with this list a second one is refused.
   */
  readonly rawHeaders?: readonly string[] | undefined;
  /**
   * The parsed `application/x-www-form-urlencoded` body, when the framework has parsed it:
   * a token sent there is refused, as RFC 6750 §2.2 is not supported.
   */
  readonly formBody?: URLSearchParams | Readonly<Record<string, unknown>> | undefined;
  /** The raw body, for schemes that sign it (SigV4). Others never read it. */
  readonly body?: Uint8Array | undefined;
  /**
   * The origin the client sent the request to (`https://api.example`), which DPoP proofs
   * name; without it (and without the verifier's `dpop.origin`), `https://` and the Host header.
   */
  readonly origin?: string | undefined;
  /**
   * The client certificate of the connection (DER), when the client presented one: the TLS
   * handshake proved it holds the key. A certificate-bound token (`cnf.x5t#S256`, RFC 8705)
   * is accepted only when this hashes to it.
   */
  readonly clientCertificate?: Uint8Array | undefined;
  /**
   * Whether `clientCertificate` chains to a CA this server trusts for client certificates
   * and is within its validity period (Node's `TLSSocket#authorized`). The `mtls` scheme
   * accepts only such a certificate; binding checks need none of it.
   */
  readonly clientCertificateTrusted?: boolean | undefined;
}

/** Who is calling, as established by one scheme. */
export interface Identity {
  /** The token's `sub`, the API key's id, the access key id… */
  readonly subject: string;
  /** The OAuth client, for OAuth tokens. */
  readonly clientId: string | undefined;
  readonly scopes: readonly string[];
  readonly scheme: SchemeName;
  /** Everything the credential said (JWT claims, introspection response…). */
  readonly claims: Readonly<Record<string, unknown>>;
  /** Proof-of-possession binding (`cnf`), when the credential has one. */
  readonly confirmation: Readonly<Record<string, unknown>> | undefined;
}

/** A refusal, ready to send: status, RFC 6750 error body and `WWW-Authenticate` challenge. */
export interface Refusal {
  readonly error: TesseraError;
  readonly status: number;
  readonly challenge: string;
  /** For a 429: seconds until the credential may be used again (`Retry-After`). */
  readonly retryAfter?: number | undefined;
  /** For a DPoP refusal asking for a nonce: the one to use (`DPoP-Nonce`). */
  readonly dpopNonce?: string | undefined;
}

export type VerifyOutcome =
  | { readonly ok: true; readonly identity: Identity }
  | { readonly ok: false; readonly refusal: Refusal };

/** Which scopes a route needs: every one of `allOf`, and at least one of `anyOf`. */
export interface ScopePolicy {
  readonly allOf?: readonly string[] | undefined;
  readonly anyOf?: readonly string[] | undefined;
}

/**
 * One authentication scheme. The verifier asks each scheme whether the request carries
 * its kind of credential; exactly one may, and that one checks it.
 */
export interface Scheme {
  readonly name: SchemeName;
  /** Whether the request presents a credential of this scheme (however malformed). */
  presents(request: VerifyRequest): boolean;
  /** Checks the credential; the error is an RFC 6750 one (`invalid_request`, `invalid_token`…). */
  verify(
    request: VerifyRequest,
  ): Promise<{ ok: true; identity: Identity } | { ok: false; error: TesseraError }>;
}
