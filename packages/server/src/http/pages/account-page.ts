import { hiddenFields, LOGOUT_PATH, scopeList } from './fragments.js';
import { html, type SafeHtml } from './html.js';
import { page } from './layout.js';

/** A client the person has let act for them. */
export interface AccountGrant {
  readonly clientId: string;
  readonly clientName: string;
  readonly scopes: readonly string[];
  /** When consent was given, in epoch seconds. */
  readonly grantedAt: number;
}

/** What the account page shows and posts back. */
export interface AccountPageOptions {
  /** Where each revoke form posts. */
  readonly action: string;
  readonly csrfToken: string;
  readonly userName: string;
  readonly grants: readonly AccountGrant[];
}

/**
 * Lists the apps with access to the person's account. Each has its own form that posts
 * `csrf_token` and `client_id` to revoke that app's access.
 */
export function accountPage({ action, csrfToken, userName, grants }: AccountPageOptions): string {
  const list =
    grants.length === 0
      ? html`<p>No apps have access to your account.</p>`
      : html`<ul class="grants">${grants.map((grant, index) => grantItem(grant, `grant-${index}`, action, csrfToken))}
</ul>`;
  return page({
    title: 'Your apps',
    body: html`<h1>Apps with access to your account</h1>
<p class="muted">Signed in as <strong>${userName}</strong>. <a href="${LOGOUT_PATH}">Sign out</a></p>
${list}`,
  });
}

function grantItem(grant: AccountGrant, headingId: string, action: string, csrfToken: string): SafeHtml {
  const date = new Date(grant.grantedAt * 1000).toISOString().slice(0, 10);
  // Every button reads "Revoke access"; describing it by its heading says which app it is for.
  return html`
<li class="grant">
<h2 id="${headingId}">${grant.clientName}</h2>
${scopeList(grant.scopes)}
<p class="muted">Granted on <time datetime="${date}">${date}</time></p>
<form method="post" action="${action}">
${hiddenFields(csrfToken, { client_id: grant.clientId })}
<button type="submit" class="secondary" aria-describedby="${headingId}">Revoke access</button>
</form>
</li>`;
}
