import { html, type SafeHtml } from './html.js';
import { STYLESHEET } from './style.js';

/** A complete HTML document around `body`, which lands in the page's `<main>`. */
export function page({ title, body }: { title: string; body: SafeHtml }): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>${title}</title>
<style>${STYLESHEET}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`.toString();
}
