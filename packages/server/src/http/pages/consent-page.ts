import { ACCOUNT_PATH, hiddenFields, scopeList } from './fragments.js';
import { html } from './html.js';
import { page } from './layout.js';

/** What the consent page shows and posts back. */
export interface ConsentPageOptions {
  /** Where the form posts. */
  readonly action: string;
  readonly csrfToken: string;
  /** Fields the form carries back unchanged, such as the pending authorization request. */
  readonly hidden: Readonly<Record<string, string>>;
  readonly clientName: string;
  /** The signed-in person, as they know themselves. */
  readonly userName: string;
  readonly scopes: readonly string[];
  /** The host of the redirect URI the person returns to. */
  readonly redirectHost: string;
}

/**
 * Asks the person to let a client act for them. The form posts `decision=approve` or
 * `decision=deny`, with `csrf_token` and the hidden fields.
 */
export function consentPage({
  action,
  csrfToken,
  hidden,
  clientName,
  userName,
  scopes,
  redirectHost,
}: ConsentPageOptions): string {
  const access =
    scopes.length > 0
      ? html`<p>It will be able to:</p>
${scopeList(scopes)}`
      : '';
  return page({
    title: 'Allow access',
    body: html`<h1>${clientName} wants access to your account</h1>
<p class="muted">Signed in as <strong>${userName}</strong></p>
${access}
<p>You will return to <strong>${redirectHost}</strong>. You can revoke this at any time from your <a href="${ACCOUNT_PATH}">account page</a>.</p>
<form method="post" action="${action}">
${hiddenFields(csrfToken, hidden)}
<button type="submit" name="decision" value="approve">Allow</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</form>`,
  });
}
