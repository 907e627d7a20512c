import { hiddenFields } from './fragments.js';
import { html } from './html.js';
import { page } from './layout.js';

/** What the login page shows and posts back. */
export interface LoginPageOptions {
  /** Where the form posts. */
  readonly action: string;
  readonly csrfToken: string;
  /** Fields the form carries back unchanged, such as the pending authorization request. */
  readonly hidden: Readonly<Record<string, string>>;
  /** The client the person signs in to. */
  readonly clientName: string;
  /** Prefills the username, as after a failed attempt. */
  readonly username?: string;
  /** Why the last attempt failed: announced, tied to both inputs, and the password is focused. */
  readonly error?: string;
}

const ERROR_ID = 'login-error';

/** The sign-in form: posts `username`, `password`, `csrf_token` and the hidden fields. */
export function loginPage({
  action,
  csrfToken,
  hidden,
  clientName,
  username,
  error,
}: LoginPageOptions): string {
  const invalid = error ? html` aria-describedby="${ERROR_ID}" aria-invalid="true"` : '';
  const alert = error ? html`<p id="${ERROR_ID}" class="error" role="alert">${error}</p>` : '';
  return page({
    title: 'Sign in',
    body: html`<h1>Sign in</h1>
<p class="muted">to continue to <strong>${clientName}</strong></p>
${alert}
<form method="post" action="${action}">
${hiddenFields(csrfToken, hidden)}
<label for="username">Username</label>
<input id="username" name="username" type="text" value="${username ?? ''}" autocomplete="username" autocapitalize="none" spellcheck="false" required${invalid}${error ? '' : html` autofocus`}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${invalid}${error ? html` autofocus` : ''}>
<button type="submit">Sign in</button>
</form>`,
  });
}
