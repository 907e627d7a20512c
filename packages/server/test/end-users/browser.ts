/**
 * A browser as far as the sign-in pages need one: a cookie jar, forms read from the HTML
 * (hidden fields included) and posted back, redirects observed rather than followed.
 */
export interface PageForm {
  readonly action: string;
  readonly fields: Record<string, string>;
}

export interface Visit {
  readonly status: number;
  readonly location: string | null;
  readonly html: string;
  readonly headers: Headers;
}

export class TestBrowser {
  readonly cookies = new Map<string, string>();

  constructor(private readonly origin: string) {}

  async get(url: string): Promise<Visit> {
    return this.visit(new URL(url, this.origin), { method: 'GET' });
  }

  /** Posts `form` with `changes` applied (a null value removes the field). */
  async submit(form: PageForm, changes: Record<string, string | null> = {}): Promise<Visit> {
    const fields = { ...form.fields };
    for (const [name, value] of Object.entries(changes)) {
      if (value === null) delete fields[name];
      else fields[name] = value;
    }
    return this.visit(new URL(form.action, this.origin), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  }

  private async visit(url: URL, init: RequestInit): Promise<Visit> {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), ...(cookie === '' ? {} : { cookie }) },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at);
      const value = pair.slice(at + 1);
      if (/Max-Age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return {
      status: response.status,
      location: response.headers.get('location'),
      html: await response.text(),
      headers: response.headers,
    };
  }
}

/** The first form of a page whose HTML contains `marker` (e.g. `name="password"`), with its fields. */
export function formOf(html: string, marker: string): PageForm {
  for (const match of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
    const [, attributes = '', body = ''] = match;
    if (!body.includes(marker)) continue;
    const action = decode(/action="([^"]*)"/.exec(attributes)?.[1] ?? '');
    const fields: Record<string, string> = {};
    for (const input of body.matchAll(/<input\b([^>]*)>/g)) {
      const name = /name="([^"]*)"/.exec(input[1] ?? '')?.[1];
      if (name === undefined) continue;
      fields[decode(name)] = decode(/value="([^"]*)"/.exec(input[1] ?? '')?.[1] ?? '');
    }
    return { action, fields };
  }
  throw new Error(`no form with ${marker} on the page:\n${html.slice(0, 2000)}`);
}

function decode(text: string): string {
  return text
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&#x27;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}

/** Signs in and approves consent: from an authorization URL to the client's redirect with a code. */
export async function signInAndApprove(
  browser: TestBrowser,
  authorizationUrl: string,
  credentials: { username: string; password: string },
): Promise<URL> {
  let visit = await browser.get(authorizationUrl);
  if (visit.status === 200 && visit.html.includes('name="password"')) {
    visit = await browser.submit(formOf(visit.html, 'name="password"'), credentials);
  }
  if (visit.status === 200 && visit.html.includes('value="approve"')) {
    visit = await browser.submit(formOf(visit.html, 'value="approve"'), { decision: 'approve' });
  }
  if (visit.status !== 303 || visit.location === null) {
    throw new Error(`expected a redirect to the client, got ${visit.status}:\n${visit.html.slice(0, 2000)}`);
  }
  return new URL(visit.location);
}
