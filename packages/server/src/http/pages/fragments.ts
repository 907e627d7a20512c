import { html, type SafeHtml } from './html.js';
import { describeScope, hasOwnDescription } from './scope-descriptions.js';

/** Where the account page is served; linked from pages that mention it. */
export const ACCOUNT_PATH = '/account';
/** Where signing out starts. */
export const LOGOUT_PATH = '/logout';

/** The hidden fields of a form: the CSRF token, then each entry of `hidden`. */
export function hiddenFields(csrfToken: string, hidden: Readonly<Record<string, string>>): SafeHtml {
  const fields = Object.entries(hidden).map(
    ([name, value]) => html`
<input type="hidden" name="${name}" value="${value}">`,
  );
  return html`<input type="hidden" name="csrf_token" value="${csrfToken}">${fields}`;
}

/** What each scope means, with the scope's own name beside it unless the words already quote it. */
export function scopeList(scopes: readonly string[]): SafeHtml {
  const items = scopes.map((scope) =>
    hasOwnDescription(scope)
      ? html`<li>${describeScope(scope)} <code>${scope}</code></li>`
      : html`<li>${describeScope(scope)}</li>`,
  );
  return html`<ul>${items}</ul>`;
}
