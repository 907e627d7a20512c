import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { escapeHtml, html, SafeHtml } from './html.js';

const ENTITIES: Record<string, string> = {
  '&amp;': '&',
  '&lt;': '<',
  '&gt;': '>',
  '&quot;': '"',
  '&#39;': "'",
};
const decodeEntities = (text: string) =>
  text.replace(/&amp;|&lt;|&gt;|&quot;|&#39;/g, (entity) => ENTITIES[entity] ?? '');

/** Any text, with the characters HTML gives meaning to well represented. */
const text = fc.string({
  unit: fc.oneof(
    fc.constantFrom('&', '<', '>', '"', "'", '&amp;', '&lt;', '='),
    fc.string({ unit: 'grapheme', maxLength: 1 }),
  ),
});

describe('escapeHtml', () => {
  it('escapes the five characters that can end text or an attribute value', () => {
    assert.equal(escapeHtml(`&<>"'`), '&amp;&lt;&gt;&quot;&#39;');
    assert.equal(escapeHtml('a & b < c > d "e" \'f\''), 'a &amp; b &lt; c &gt; d &quot;e&quot; &#39;f&#39;');
    assert.equal(escapeHtml('&amp;'), '&amp;amp;');
    assert.equal(escapeHtml('plain text, = and `'), 'plain text, = and `');
  });

  it('leaves no markup character and decodes back to the input', () => {
    fc.assert(
      fc.property(text, (input) => {
        const escaped = escapeHtml(input);
        assert.doesNotMatch(escaped, /[<>"']/);
        assert.doesNotMatch(escaped, /&(?!amp;|lt;|gt;|quot;|#39;)/);
        assert.equal(decodeEntities(escaped), input);
      }),
      { numRuns: 500 },
    );
  });
});

describe('html', () => {
  it('keeps the literal parts and escapes interpolated text and numbers', () => {
    const title = '"><script>alert(1)</script>';
    assert.equal(
      html`<p title="${title}">${'<b>&</b>'} ${42}</p>`.toString(),
      '<p title="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;">&lt;b&gt;&amp;&lt;/b&gt; 42</p>',
    );
    assert.equal(html``.toString(), '');
    assert.equal(html`<hr>`.toString(), '<hr>');
  });

  it('nests its own results without escaping them again', () => {
    const inner = html`<em>${'a<b'}</em>`;
    assert.ok(inner instanceof SafeHtml);
    assert.equal(html`<p>${inner}</p>`.toString(), '<p><em>a&lt;b</em></p>');
    assert.equal(html`${html`${html`${'&'}`}`}`.toString(), '&amp;');
  });

  it('joins arrays of fragments', () => {
    const items = ['<a>', 'b&'].map((item) => html`<li>${item}</li>`);
    assert.equal(html`<ul>${items}</ul>`.toString(), '<ul><li>&lt;a&gt;</li><li>b&amp;</li></ul>');
    assert.equal(html`<ul>${[]}</ul>`.toString(), '<ul></ul>');
  });

  it('escapes anything that only looks like a fragment', () => {
    const lookalike = { toString: () => '<b>' } as unknown as SafeHtml;
    assert.equal(html`${lookalike}`.toString(), '&lt;b&gt;');
    const strings = ['<b>'] as unknown as SafeHtml[];
    assert.equal(html`${strings}`.toString(), '&lt;b&gt;');
    // An object with SafeHtml's prototype but not made by html has no markup to give.
    const forged = Object.create(SafeHtml.prototype) as SafeHtml;
    assert.throws(() => html`${forged}`, TypeError);
  });

  it('renders any text in content and attributes as its escaped form', () => {
    fc.assert(
      fc.property(text, text, (a, b) => {
        const rendered = html`<p title="${a}">${b}${html`<i>${a}</i>`}</p>`.toString();
        assert.equal(rendered, `<p title="${escapeHtml(a)}">${escapeHtml(b)}<i>${escapeHtml(a)}</i></p>`);
      }),
      { numRuns: 300 },
    );
  });
});
