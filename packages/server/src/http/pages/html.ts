const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' } as const;
const SPECIAL = /[&<>"']/g;

/** Text made safe to place in HTML content or in a double- or single-quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(SPECIAL, (char) => ESCAPES[char as keyof typeof ESCAPES]);
}

let seal: (markup: string) => SafeHtml;

/**
 * Markup that is safe to emit as is. Only `html` makes one, so caller text becomes markup
 * only by passing through its escaping.
 */
export class SafeHtml {
  readonly #markup: string;

  private constructor(markup: string) {
    this.#markup = markup;
  }

  static {
    seal = (markup) => new SafeHtml(markup);
  }

  toString(): string {
    return this.#markup;
  }
}

/** What `html` accepts between its literal parts. */
export type HtmlValue = string | number | SafeHtml | readonly SafeHtml[];

/**
 * Builds markup from a template: the literal parts are taken as written, every interpolated
 * string or number is escaped, and `SafeHtml` values (alone or in arrays) are kept as they are.
 *
 * @example html`<p title="${title}">${body}</p>`
 */
export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
  let markup = strings[0] ?? '';
  values.forEach((value, index) => {
    markup += render(value) + (strings[index + 1] ?? '');
  });
  return seal(markup);
}

function render(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.toString();
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}
