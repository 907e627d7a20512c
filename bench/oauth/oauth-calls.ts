/**
 * The few OAuth calls the benchmark makes outside the load phases, with Node's `fetch`: the
 * pre-flight checks that a server answers what the phases expect, and fetching the tokens that the
 * introspection phase cycles through.
 */

const FORM = 'application/x-www-form-urlencoded';
const CALL_TIMEOUT_MS = 10_000;

/**
 * `client_secret_basic`: RFC 6749 §2.3.1 form-encodes the id and the secret before Base64.
 *
 * @example basicAuthorization('bench', 's3cret') // 'Basic YmVuY2g6czNjcmV0'
 */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  const encode = (value: string): string => new URLSearchParams({ v: value }).toString().slice(2);
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
}

/** True for a token response body carrying a JWT access token; used on every loaded response. */
export function isJwtTokenResponse(body: string): boolean {
  return /"access_token"\s*:\s*"[\w-]+\.[\w-]+\.[\w-]+"/.test(body);
}

/** True for an introspection response body saying the token is active. */
export function isActiveIntrospection(body: string): boolean {
  return /"active"\s*:\s*true/.test(body);
}

export type TokenCheck =
  | { readonly ok: true; readonly accessToken: string; readonly summary: string }
  | { readonly ok: false; readonly problem: string };

/** One token request; ok when it is a 200 with a JWT access token. */
export async function checkTokenResponse(
  endpoint: URL,
  authorization: string,
  body: string,
): Promise<TokenCheck> {
  const response = await post(endpoint, authorization, body);
  const text = await response.text();
  if (response.status !== 200) return { ok: false, problem: `${response.status} ${text.slice(0, 200)}` };
  let accessToken: unknown;
  try {
    accessToken = (JSON.parse(text) as { access_token?: unknown }).access_token;
  } catch {
    return { ok: false, problem: `200 but not JSON: ${text.slice(0, 200)}` };
  }
  if (typeof accessToken !== 'string' || !isJwtTokenResponse(text)) {
    return { ok: false, problem: `200 without a JWT access token: ${text.slice(0, 200)}` };
  }
  const [header, payload] = accessToken.split('.').map(decodeJson);
  const summary = [
    `JWT alg ${String(header?.alg)} typ ${String(header?.typ)}`,
    `aud ${JSON.stringify(payload?.aud)} scope ${JSON.stringify(payload?.scope)}`,
    `${accessToken.length} chars`,
    `Cache-Control: ${response.headers.get('cache-control') ?? '(none)'}`,
  ].join(', ');
  return { ok: true, accessToken, summary };
}

/** One introspection request; ok when it is a 200 saying `"active": true`. */
export async function checkIntrospection(
  endpoint: URL,
  authorization: string,
  token: string,
): Promise<{ ok: true; summary: string } | { ok: false; problem: string }> {
  const response = await post(endpoint, authorization, new URLSearchParams({ token }).toString());
  const text = await response.text();
  if (response.status !== 200 || !isActiveIntrospection(text)) {
    return { ok: false, problem: `${response.status} ${text.slice(0, 300)}` };
  }
  return { ok: true, summary: `200 ${text.length > 200 ? `${text.slice(0, 200)}…` : text}` };
}

/**
 * Fetches `count` access tokens, `concurrency` at a time, giving up after `deadlineMs`.
 * Throws on the first refused request: the introspection phase needs valid tokens only.
 */
export async function fetchTokens(
  endpoint: URL,
  authorization: string,
  body: string,
  options: { count: number; concurrency: number; deadlineMs: number },
): Promise<string[]> {
  const tokens: string[] = [];
  const deadline = Date.now() + options.deadlineMs;
  let issued = 0;
  const worker = async (): Promise<void> => {
    while (issued < options.count) {
      if (Date.now() > deadline)
        throw new Error(`fetched only ${tokens.length} tokens in ${options.deadlineMs} ms`);
      issued++;
      const check = await checkTokenResponse(endpoint, authorization, body);
      if (!check.ok) throw new Error(`token request refused while fetching tokens: ${check.problem}`);
      tokens.push(check.accessToken);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return tokens;
}

function post(endpoint: URL, authorization: string, body: string): Promise<Response> {
  return fetch(endpoint, {
    method: 'POST',
    headers: { authorization, 'content-type': FORM, accept: 'application/json' },
    body,
    signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
  });
}

function decodeJson(segment: string | undefined): Record<string, unknown> | undefined {
  if (segment === undefined) return undefined;
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
