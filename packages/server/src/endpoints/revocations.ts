import { AccessDenied, ErrorCode, InvalidRequest } from '@tessera/core';
import type { ClientAuthenticator } from '../services/client-authentication.js';
import type { RevocationFeed } from '../services/revocation-feed.js';
import { type EndpointResponse, NO_STORE } from './endpoint-io.js';

export interface RevocationFeedEndpointDeps {
  authenticator: ClientAuthenticator;
  feed: RevocationFeed;
}

/**
 * `GET /revocations?after=SEQ`: the revocation feed, for resource servers (clients
 * registered with `--resource-server`, authenticating with HTTP Basic). Each event denies a
 * token (`kind: "token"`, by `jti`), or every token of a client or subject issued up to
 * `revoked_at`, until `expires_at`. Ask again with `after` set to the `next` returned;
 * events may come more than once.
 */
export function createRevocationFeedEndpoint(deps: RevocationFeedEndpointDeps) {
  return async function revocationFeedEndpoint(request: {
    authorization: string | undefined;
    after: string | undefined;
  }): Promise<EndpointResponse> {
    const after = request.after === undefined ? 0 : Number(request.after);
    if (!Number.isSafeInteger(after) || after < 0 || !/^\d+$/.test(request.after ?? '0')) {
      throw new InvalidRequest(ErrorCode.PARAM_INVALID, 'after must be a sequence number.');
    }
    const authenticated = await deps.authenticator.authenticate({
      authorization: request.authorization,
      clientId: undefined,
      clientSecret: undefined,
      clientAssertionType: undefined,
      clientAssertion: undefined,
    });
    if (!authenticated.ok) throw authenticated.error;
    if (!authenticated.value.resourceServer) {
      throw new AccessDenied(ErrorCode.ACCESS_DENIED, 'Only resource servers may read the revocation feed.');
    }
    const page = await deps.feed.page(after);
    return {
      status: 200,
      headers: NO_STORE,
      body: {
        events: page.events.map((event) => ({
          seq: event.seq,
          kind: event.kind,
          value: event.value,
          revoked_at: event.revokedAt,
          expires_at: event.expiresAt,
        })),
        next: page.next,
      },
    };
  };
}
