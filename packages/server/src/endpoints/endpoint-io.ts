import { ErrorCode, InvalidRequest } from '@tessera/core';
import type { ClientAuthenticator, PresentedClientCredentials } from '../services/client-authentication.js';
import type { PresentedCertificate } from '../services/client-certificates.js';
import type { ClientRecord } from '../store/client-store.js';

/** What an endpoint needs of an HTTP request: its form parameters and credentials. */
export interface EndpointRequest {
  readonly form: URLSearchParams;
  readonly authorization: string | undefined;
  /** Every `DPoP` header value (RFC 9449), in order. */
  readonly dpopProofs: readonly string[];
  /** The client certificate (RFC 8705), when the server asks for them and one was presented. */
  readonly clientCertificate?: PresentedCertificate | undefined;
}

export interface EndpointResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

/** RFC 6749 §5.1: responses holding tokens or token data are never cached. */
export const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' } as const;

/**
 * Refuses any parameter sent twice (RFC 6749 §3.1, §3.2), except those named in
 * `repeatable` (such as RFC 8707's `resource`).
 */
export function refuseRepeatedParams(form: URLSearchParams, repeatable: readonly string[] = []): void {
  const seen = new Set<string>();
  for (const name of form.keys()) {
    if (seen.has(name) && !repeatable.includes(name)) {
      throw new InvalidRequest(ErrorCode.PARAM_REPEATED, `The ${safeName(name)} parameter is repeated.`);
    }
    seen.add(name);
  }
}

/** The parameter's value, or undefined when it is absent or empty (RFC 6749 §3.1). */
export function param(form: URLSearchParams, name: string): string | undefined {
  const value = form.get(name);
  return value === null || value === '' ? undefined : value;
}

export function requiredParam(form: URLSearchParams, name: string): string {
  const value = param(form, name);
  if (value === undefined)
    throw new InvalidRequest(ErrorCode.PARAM_MISSING, `The ${name} parameter is required.`);
  return value;
}

/** The client the request authenticates as; a failed authentication is thrown as its RFC error. */
export async function authenticatedClient(
  authenticator: ClientAuthenticator,
  request: EndpointRequest,
): Promise<ClientRecord> {
  const authenticated = await authenticator.authenticate(presentedClientCredentials(request));
  if (!authenticated.ok) throw authenticated.error;
  return authenticated.value;
}

function presentedClientCredentials(request: EndpointRequest): PresentedClientCredentials {
  const { form } = request;
  return {
    authorization: request.authorization,
    clientId: param(form, 'client_id'),
    clientSecret: param(form, 'client_secret'),
    clientAssertionType: param(form, 'client_assertion_type'),
    clientAssertion: param(form, 'client_assertion'),
    certificate: request.clientCertificate,
  };
}

/** A parameter name is caller input: echo it only when it is short and plain. */
const safeName = (name: string) => (/^[a-z_]{1,40}$/.test(name) ? name : 'same');
