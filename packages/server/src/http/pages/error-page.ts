import { html } from './html.js';
import { page } from './layout.js';

/** A page that explains what went wrong, for errors that cannot go back to the client. */
export function errorPage({ title, message }: { title: string; message: string }): string {
  return page({
    title,
    body: html`<h1>${title}</h1>
<p>${message}</p>`,
  });
}
