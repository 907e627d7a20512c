import { hiddenFields } from './fragments.js';
import { html } from './html.js';
import { page } from './layout.js';

/** What the sign-out confirmation shows and posts back. */
export interface LogoutPageOptions {
  /** Where the form posts. */
  readonly action: string;
  readonly csrfToken: string;
  /** Fields the form carries back unchanged, such as the pending logout request. */
  readonly hidden: Readonly<Record<string, string>>;
  /** The client that asked for the sign-out, when one did. */
  readonly clientName?: string;
}

/** Asks the person to confirm signing out; the form posts `csrf_token` and the hidden fields. */
export function logoutPage({ action, csrfToken, hidden, clientName }: LogoutPageOptions): string {
  const requester = clientName ? html`<p><strong>${clientName}</strong> asked to sign you out.</p>` : '';
  return page({
    title: 'Sign out',
    body: html`<h1>Sign out?</h1>
${requester}
<form method="post" action="${action}">
${hiddenFields(csrfToken, hidden)}
<button type="submit">Sign out</button>
</form>`,
  });
}

/** Confirms that the person is signed out. */
export function signedOutPage(): string {
  return page({
    title: 'Signed out',
    body: html`<h1>You are signed out</h1>
<p>You can close this page.</p>`,
  });
}
