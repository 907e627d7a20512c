import { createHash } from 'node:crypto';

/**
 * The one stylesheet of the sign-in pages. It holds none of & < > " ' so that it passes
 * through `html` unchanged and the hash below matches the bytes the browser sees.
 */
export const STYLESHEET = `
:root {
  color-scheme: light dark;
  --bg: #f3f4f6;
  --card: #ffffff;
  --text: #1f2328;
  --muted: #59636e;
  --border: #d1d9e0;
  --accent: #0b57d0;
  --on-accent: #ffffff;
  --error: #b3261e;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117;
    --card: #161b22;
    --text: #e6edf3;
    --muted: #9198a1;
    --border: #3d444d;
    --accent: #6ea2ff;
    --on-accent: #0d1117;
    --error: #ff8a80;
  }
}
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body {
  margin: 0;
  padding: 2rem 1rem;
  background: var(--bg);
  color: var(--text);
  font: 1rem/1.5 system-ui, -apple-system, Segoe UI, Roboto, Helvetica Neue, Arial, sans-serif;
}
main {
  max-width: 26rem;
  margin: 0 auto;
  padding: 1.5rem;
  background: var(--card);
  border: 1px solid var(--border);
  border-radius: 0.75rem;
  overflow-wrap: anywhere;
}
h1 { margin: 0 0 0.5rem; font-size: 1.5rem; line-height: 1.25; }
h2 { margin: 0 0 0.25rem; font-size: 1.125rem; }
p { margin: 0 0 1rem; }
ul { margin: 0 0 1rem; padding-left: 1.25rem; }
li { margin-bottom: 0.25rem; }
a { color: var(--accent); }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.875em; }
.muted { color: var(--muted); }
.error { padding: 0.5rem 0.75rem; border-left: 4px solid var(--error); color: var(--error); font-weight: 600; }
label { display: block; margin-bottom: 0.25rem; font-weight: 600; }
input {
  display: block;
  width: 100%;
  min-height: 2.75rem;
  margin-bottom: 1rem;
  padding: 0.5rem 0.75rem;
  font: inherit;
  color: inherit;
  background: var(--card);
  border: 1px solid var(--muted);
  border-radius: 0.5rem;
}
input[aria-invalid=true] { border: 2px solid var(--error); }
button {
  display: block;
  width: 100%;
  min-height: 2.75rem;
  margin-top: 0.75rem;
  padding: 0.5rem 1rem;
  font: inherit;
  font-weight: 600;
  color: var(--on-accent);
  background: var(--accent);
  border: 1px solid var(--accent);
  border-radius: 0.5rem;
  cursor: pointer;
}
button.secondary { color: var(--text); background: transparent; border-color: var(--muted); }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.grants { margin: 0; padding: 0; list-style: none; }
.grant { padding: 1rem 0; border-top: 1px solid var(--border); }
@media (max-width: 30rem) {
  body { padding: 0; }
  main { min-height: 100vh; border: 0; border-radius: 0; }
}
`;

/** The stylesheet's CSP source expression, `'sha256-…'`. */
export const STYLESHEET_HASH = `'sha256-${createHash('sha256').update(STYLESHEET).digest('base64')}'`;
