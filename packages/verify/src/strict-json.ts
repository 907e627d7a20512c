/**
 * A strict JSON parser for JOSE headers: RFC 8259 exactly, plus two refusals that
 * `JSON.parse` does not make. A member name repeated in one object is refused (RFC 7515
 * §5.2 allows "reject"; last-wins lets `{"alg":"none",…,"alg":"HS256"}` mean different
 * things to different parsers), and so is an escaped lone surrogate (RFC 7493 §2.1).
 * Objects come back with a null prototype, so `__proto__` is just a name.
 */

/** What {@link parseStrictJson} returns for text that is not strict JSON. */
export const INVALID_JSON: unique symbol = Symbol('invalid JSON');

const DEFAULT_MAX_DEPTH = 16;

// Thrown to unwind; allocated once, so a hostile header costs no stack capture.
const INVALID = new Error('invalid JSON');

/**
 * Parses `text` as strict JSON, or returns {@link INVALID_JSON}. Never throws.
 *
 * @example
 * ```ts
 * parseStrictJson('{"alg":"ES256"}');            // { alg: 'ES256' }
 * parseStrictJson('{"alg":"ES256","alg":"none"}'); // INVALID_JSON
 * ```
 */
export function parseStrictJson(text: string, maxDepth = DEFAULT_MAX_DEPTH): unknown {
  const parser = new Parser(text, maxDepth);
  try {
    parser.skipWhitespace();
    const value = parser.value(0);
    parser.skipWhitespace();
    return parser.position === text.length ? value : INVALID_JSON;
  } catch {
    return INVALID_JSON;
  }
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

class Parser {
  position = 0;
  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
  ) {}

  skipWhitespace(): void {
    const { text } = this;
    let at = this.position;
    for (;;) {
      const code = text.charCodeAt(at);
      if (code !== 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) break;
      at += 1;
    }
    this.position = at;
  }

  value(depth: number): unknown {
    const code = this.text.charCodeAt(this.position);
    if (code === 0x7b) return this.object(depth + 1);
    if (code === 0x5b) return this.array(depth + 1);
    if (code === 0x22) return this.string();
    if (code === 0x74) return this.literal('true', true);
    if (code === 0x66) return this.literal('false', false);
    if (code === 0x6e) return this.literal('null', null);
    return this.number();
  }

  object(depth: number): Record<string, unknown> {
    if (depth > this.maxDepth) throw INVALID;
    const result: Record<string, unknown> = Object.create(null);
    this.position += 1;
    this.skipWhitespace();
    if (this.text.charCodeAt(this.position) === 0x7d) {
      this.position += 1;
      return result;
    }
    for (;;) {
      if (this.text.charCodeAt(this.position) !== 0x22) throw INVALID;
      const name = this.string();
      if (name in result) throw INVALID;
      this.skipWhitespace();
      this.expect(0x3a);
      this.skipWhitespace();
      result[name] = this.value(depth);
      this.skipWhitespace();
      const next = this.text.charCodeAt(this.position);
      this.position += 1;
      if (next === 0x7d) return result;
      if (next !== 0x2c) throw INVALID;
      this.skipWhitespace();
    }
  }

  array(depth: number): unknown[] {
    if (depth > this.maxDepth) throw INVALID;
    const result: unknown[] = [];
    this.position += 1;
    this.skipWhitespace();
    if (this.text.charCodeAt(this.position) === 0x5d) {
      this.position += 1;
      return result;
    }
    for (;;) {
      result.push(this.value(depth));
      this.skipWhitespace();
      const next = this.text.charCodeAt(this.position);
      this.position += 1;
      if (next === 0x5d) return result;
      if (next !== 0x2c) throw INVALID;
      this.skipWhitespace();
    }
  }

  string(): string {
    const { text } = this;
    let at = this.position + 1;
    let result = '';
    let runStart = at;
    for (;;) {
      const code = text.charCodeAt(at);
      if (Number.isNaN(code) || code < 0x20) throw INVALID;
      if (code === 0x22) break;
      if (code === 0x5c) {
        result += text.slice(runStart, at);
        const [decoded, length] = this.escape(at);
        result += decoded;
        at += length;
        runStart = at;
        continue;
      }
      // A raw lone surrogate cannot come from UTF-8 input, but this parser may be handed any string.
      if (code >= 0xd800 && code <= 0xdfff) {
        const low = text.charCodeAt(at + 1);
        if (code > 0xdbff || !(low >= 0xdc00 && low <= 0xdfff)) throw INVALID;
        at += 2;
        continue;
      }
      at += 1;
    }
    result += text.slice(runStart, at);
    this.position = at + 1;
    return result;
  }

  /** Decodes the escape at `at` (a backslash); returns the text and how many characters it used. */
  escape(at: number): [string, number] {
    const kind = this.text.charCodeAt(at + 1);
    switch (kind) {
      case 0x22:
        return ['"', 2];
      case 0x5c:
        return ['\\', 2];
      case 0x2f:
        return ['/', 2];
      case 0x62:
        return ['\b', 2];
      case 0x66:
        return ['\f', 2];
      case 0x6e:
        return ['\n', 2];
      case 0x72:
        return ['\r', 2];
      case 0x74:
        return ['\t', 2];
      case 0x75: {
        const unit = this.hex4(at + 2);
        if (unit >= 0xdc00 && unit <= 0xdfff) throw INVALID;
        if (unit >= 0xd800 && unit <= 0xdbff) {
          if (this.text.charCodeAt(at + 6) !== 0x5c || this.text.charCodeAt(at + 7) !== 0x75) throw INVALID;
          const low = this.hex4(at + 8);
          if (low < 0xdc00 || low > 0xdfff) throw INVALID;
          return [String.fromCharCode(unit, low), 12];
        }
        return [String.fromCharCode(unit), 6];
      }
      default:
        throw INVALID;
    }
  }

  hex4(at: number): number {
    const digits = this.text.slice(at, at + 4);
    if (!/^[0-9A-Fa-f]{4}$/.test(digits)) throw INVALID;
    return Number.parseInt(digits, 16);
  }

  literal<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.position)) throw INVALID;
    this.position += word.length;
    return value;
  }

  number(): number {
    NUMBER.lastIndex = this.position;
    const match = NUMBER.exec(this.text);
    if (match === null) throw INVALID;
    this.position += match[0].length;
    const value = Number(match[0]);
    // 1e400 parses to Infinity; no header needs a number JSON cannot carry exactly.
    if (!Number.isFinite(value)) throw INVALID;
    return value;
  }

  expect(code: number): void {
    if (this.text.charCodeAt(this.position) !== code) throw INVALID;
    this.position += 1;
  }
}
