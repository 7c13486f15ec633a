// Shell word expansion with the exact rules of BuildKit's shell lexer
// (frontend/dockerfile/shell): quotes, the active escape token, $v and ${v}
// with the modifiers :- - :+ + :? ? # ## % %% / //, and word splitting done
// after expansion. It also records which variables a word referenced, so the
// builder can explain cache keys and the linter can find undefined ones.
import { DockerfileError } from './errors.js';

export type Env = ReadonlyMap<string, string> | Readonly<Record<string, string>>;

export interface LexOptions {
  /** `\` (default) or `` ` ``. */
  escapeToken?: string;
  /** Keep quote characters in the result. */
  rawQuotes?: boolean;
  /** Keep escape characters in the result. */
  rawEscapes?: boolean;
  /** Treat quotes as ordinary characters. */
  skipProcessQuotes?: boolean;
  /** Leave references to unset variables as written. */
  skipUnsetEnv?: boolean;
}

export interface ExpandResult {
  /** The expanded word, spaces between words kept. */
  result: string;
  /** The expansion split into words (quotes and escapes protect spaces). */
  words: string[];
  /** Variables referenced that were set. */
  matched: Set<string>;
  /** Variables referenced that were not set. */
  unmatched: Set<string>;
}

const EOF = undefined;
type Ch = string | undefined;

/** Go's unicode.IsSpace. */
export function isSpace(ch: string): boolean {
  const c = ch.codePointAt(0) ?? 0;
  if (c <= 0xff) return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0x85 || c === 0xa0;
  return c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000;
}

const reLetter = /^\p{L}$/u;
const reDigit = /^\p{Nd}$/u;
function isLetter(ch: string): boolean {
  const c = ch.charCodeAt(0);
  if (c < 0x80) return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
  return reLetter.test(ch);
}
function isDigit(ch: string): boolean {
  const c = ch.charCodeAt(0);
  if (c < 0x80) return c >= 0x30 && c <= 0x39;
  return reDigit.test(ch);
}
function isSpecialParam(ch: string): boolean {
  return ch === '@' || ch === '*' || ch === '#' || ch === '?' || ch === '-' || ch === '$' || ch === '!' || ch === '0';
}

function lookup(env: Env, name: string): string | undefined {
  if (env instanceof Map) return env.get(name);
  const rec = env as Readonly<Record<string, string>>;
  return Object.prototype.hasOwnProperty.call(rec, name) ? rec[name] : undefined;
}

class Words {
  word = '';
  words: string[] = [];
  inWord = false;
  addChar(ch: string): void {
    if (isSpace(ch)) {
      if (this.inWord && this.word.length !== 0) {
        this.words.push(this.word);
        this.word = '';
        this.inWord = false;
      }
    } else this.addRawChar(ch);
  }
  addRawChar(ch: string): void {
    this.word += ch;
    this.inWord = true;
  }
  addString(s: string): void {
    for (const ch of s) this.addChar(ch);
  }
  addRawString(s: string): void {
    this.word += s;
    this.inWord = true;
  }
  get(): string[] {
    if (this.word.length > 0) {
      this.words.push(this.word);
      this.word = '';
      this.inWord = false;
    }
    return this.words;
  }
}

class ShellWord {
  private readonly chars: string[];
  private pos = 0;
  private rawEscapes: boolean;
  readonly matched = new Set<string>();
  readonly unmatched = new Set<string>();

  constructor(
    word: string,
    private readonly env: Env,
    private readonly opts: Required<LexOptions>,
  ) {
    this.chars = Array.from(word);
    this.rawEscapes = opts.rawEscapes;
  }

  private peek(): Ch {
    return this.chars[this.pos];
  }
  private next(): Ch {
    return this.pos < this.chars.length ? this.chars[this.pos++] : EOF;
  }

  process(): [string, string[]] {
    return this.processStopOn(EOF, this.rawEscapes);
  }

  private processStopOn(stop: Ch, rawEscapes: boolean): [string, string[]] {
    let result = '';
    const words = new Words();
    const saved = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      const esc = this.opts.escapeToken;
      const quotes = !this.opts.skipProcessQuotes;
      for (let ch = this.peek(); ch !== EOF; ch = this.peek()) {
        if (stop !== EOF && ch === stop) {
          this.next();
          return [result, words.get()];
        }
        if (ch === '$') {
          const tmp = this.processDollar();
          result += tmp;
          words.addString(tmp);
        } else if (quotes && ch === "'") {
          const tmp = this.processSingleQuote();
          result += tmp;
          words.addRawString(tmp);
        } else if (quotes && ch === '"') {
          const tmp = this.processDoubleQuote();
          result += tmp;
          words.addRawString(tmp);
        } else {
          let c = this.next() as string;
          if (c === esc) {
            if (this.rawEscapes) {
              words.addRawChar(c);
              result += c;
            }
            const n = this.next();
            if (n === EOF) break; // an escape at the very end is dropped
            c = n;
            words.addRawChar(c);
          } else words.addChar(c);
          result += c;
        }
      }
      if (stop !== EOF) throw new DockerfileError(`unexpected end of statement while looking for matching ${stop}`);
      return [result, words.get()];
    } finally {
      this.rawEscapes = saved;
    }
  }

  private processSingleQuote(): string {
    // Everything up to the next ' is literal; a ' cannot be escaped inside.
    let result = '';
    const open = this.next() as string;
    if (this.opts.rawQuotes) result += open;
    for (;;) {
      const ch = this.next();
      if (ch === EOF) throw new DockerfileError('unexpected end of statement while looking for matching single-quote');
      if (ch === "'") {
        if (this.opts.rawQuotes) result += ch;
        return result;
      }
      result += ch;
    }
  }

  private processDoubleQuote(): string {
    // Literal except $ and the escape token, which escapes only " $ and itself.
    let result = '';
    const open = this.next() as string;
    if (this.opts.rawQuotes) result += open;
    const esc = this.opts.escapeToken;
    for (;;) {
      const p = this.peek();
      if (p === EOF) throw new DockerfileError('unexpected end of statement while looking for matching double-quote');
      if (p === '"') {
        this.next();
        if (this.opts.rawQuotes) result += p;
        return result;
      }
      if (p === '$') {
        result += this.processDollar();
        continue;
      }
      let ch = this.next() as string;
      if (ch === esc) {
        if (this.rawEscapes) result += ch;
        const q = this.peek();
        if (q === EOF) continue;
        if (q === '"' || q === '$' || q === esc) ch = this.next() as string;
      }
      result += ch;
    }
  }

  private getEnv(name: string): [string, boolean] {
    const v = lookup(this.env, name);
    if (v === undefined) {
      this.unmatched.add(name);
      return ['', false];
    }
    this.matched.add(name);
    return [v, true];
  }

  private processName(): string {
    let name = '';
    for (let ch = this.peek(); ch !== EOF; ch = this.peek()) {
      if (name.length === 0 && isDigit(ch)) {
        for (let d = this.peek(); d !== EOF && isDigit(d); d = this.peek()) name += this.next();
        return name;
      }
      if (name.length === 0 && isSpecialParam(ch)) {
        this.next();
        return ch;
      }
      if (!isLetter(ch) && !isDigit(ch) && ch !== '_') break;
      name += this.next();
    }
    return name;
  }

  private processDollar(): string {
    this.next(); // the $
    if (this.peek() !== '{') {
      const name = this.processName();
      if (name === '') return '$';
      const [value, found] = this.getEnv(name);
      if (!found && this.opts.skipUnsetEnv) return '$' + name;
      return value;
    }
    this.next(); // the {
    const first = this.peek();
    if (first === EOF) throw new DockerfileError("syntax error: missing '}'");
    if (first === '{' || first === '}' || first === ':') throw new DockerfileError('syntax error: bad substitution');
    const name = this.processName();
    let ch = this.next();
    let chs = ch ?? '\uFFFD';
    if (ch === '}') {
      const [value, set] = this.getEnv(name);
      if (!set && this.opts.skipUnsetEnv) return `\${${name}}`;
      return value;
    }
    let nullIsUnset = false;
    if (ch === ':') {
      nullIsUnset = true;
      ch = this.next();
      chs += ch ?? '\uFFFD';
    } else if (ch === '/') {
      return this.processReplace(name);
    } else if (ch !== '+' && ch !== '-' && ch !== '?' && ch !== '#' && ch !== '%') {
      throw new DockerfileError(`unsupported modifier (${chs}) in substitution`);
    }
    let word: string;
    try {
      [word] = this.processStopOn('}', ch === '#' || ch === '%');
    } catch (e) {
      if (this.peek() === EOF) throw new DockerfileError("syntax error: missing '}'");
      throw e;
    }
    const [value, set] = this.getEnv(name);
    if (this.opts.skipUnsetEnv && !set) return `\${${name}${chs}${word}}`;
    switch (ch) {
      case '-':
        return !set || (nullIsUnset && value === '') ? word : value;
      case '+':
        return !set || (nullIsUnset && value === '') ? '' : word;
      case '?':
        if (!set) throw new DockerfileError(`${name}: ${word !== '' ? word : 'is not allowed to be unset'}`);
        if (nullIsUnset && value === '') throw new DockerfileError(`${name}: ${word !== '' ? word : 'is not allowed to be empty'}`);
        return value;
      case '%':
      case '#': {
        let greedy = false;
        if (word.length > 0 && word[0] === ch) {
          greedy = true;
          word = word.slice(1);
        }
        return ch === '%' ? trimSuffix(word, value, greedy) : trimPrefix(word, value, greedy);
      }
      default:
        throw new DockerfileError(`unsupported modifier (${chs}) in substitution`);
    }
  }

  private processReplace(name: string): string {
    const all = this.peek() === '/';
    if (all) this.next();
    let pattern: string;
    try {
      [pattern] = this.processStopOn('/', true);
    } catch (e) {
      if (this.peek() === EOF) throw new DockerfileError("syntax error: missing '/' in ${}");
      throw e;
    }
    let replacement: string;
    try {
      [replacement] = this.processStopOn('}', true);
    } catch (e) {
      if (this.peek() === EOF) throw new DockerfileError("syntax error: missing '}'");
      throw e;
    }
    const [value, set] = this.getEnv(name);
    if (this.opts.skipUnsetEnv && !set) return `\${${name}/${pattern}/${replacement}}`;
    const re = shellPatternToRegex(pattern, true, false, all);
    return value.replace(re, () => replacement);
  }
}

/**
 * A shell wildcard pattern (`?` one char, `*` any run) as a RegExp, the way
 * BuildKit converts it (no bracket expressions; `\` escapes * ? \).
 */
function shellPatternToRegex(pattern: string, greedy: boolean, anchored: boolean, global = false): RegExp {
  const chars = Array.from(pattern);
  let out = anchored ? '^' : '';
  const star = greedy ? '[^\\n]*' : '[^\\n]*?';
  for (let i = 0; i < chars.length; i++) {
    let tok = chars[i];
    switch (tok) {
      case '*':
        out += star;
        continue;
      case '?':
        out += '[^\\n]';
        continue;
      case '\\': {
        const nextCh = chars[i + 1];
        if (nextCh === '}' || nextCh === '/') continue;
        out += '\\';
        i++;
        tok = chars[i] ?? '\uFFFD';
        if (tok !== '*' && tok !== '?' && tok !== '\\') {
          throw new DockerfileError(`invalid pattern (${pattern}) in substitution: invalid escape '\\${tok}'`);
        }
        break;
      }
      case '[': case ']': case '{': case '}': case '.': case '+': case '(': case ')': case '|': case '^': case '$':
        out += '\\';
        break;
    }
    out += tok;
  }
  return new RegExp(out, global ? 'gu' : 'u');
}

function trimPrefix(pattern: string, value: string, greedy: boolean): string {
  const re = shellPatternToRegex(pattern, greedy, true);
  const m = re.exec(value);
  return m ? value.slice(m.index + m[0].length) : value;
}

/** Reverses a pattern but keeps each escape before the character it escapes. */
function reversePattern(pattern: string): string {
  const p = Array.from(pattern);
  const out = new Array<string>(p.length);
  const last = p.length - 1;
  for (let i = 0; i <= last; ) {
    const tok = p[i];
    const o = last - i;
    if (tok === '\\' && i !== last) {
      out[o - 1] = tok;
      out[o] = p[i + 1];
      i += 2;
    } else {
      out[o] = tok;
      i++;
    }
  }
  return out.join('');
}

function reverseString(s: string): string {
  return Array.from(s).reverse().join('');
}

function trimSuffix(pattern: string, value: string, greedy: boolean): string {
  // The shortest/longest rightmost match is a leftmost match on the reversed strings.
  return reverseString(trimPrefix(reversePattern(pattern), reverseString(value), greedy));
}

function fullOptions(o: LexOptions): Required<LexOptions> {
  return {
    escapeToken: o.escapeToken ?? '\\',
    rawQuotes: o.rawQuotes ?? false,
    rawEscapes: o.rawEscapes ?? false,
    skipProcessQuotes: o.skipProcessQuotes ?? false,
    skipUnsetEnv: o.skipUnsetEnv ?? false,
  };
}

/** Expands one word; throws DockerfileError (`failed to process "…": …`) on bad syntax. */
const NONE: Set<string> = new Set();

/** True when `word` has nothing to expand, unquote or unescape. */
function isPlain(word: string, escapeToken: string): boolean {
  for (let i = 0; i < word.length; i++) {
    const c = word[i];
    if (c === '$' || c === '"' || c === "'" || c === escapeToken) return false;
  }
  return true;
}

/** Whitespace splitting of a plain word, as the lexer would do it. */
function splitPlain(word: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (const ch of word) {
    if (isSpace(ch)) {
      if (cur.length) out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur.length) out.push(cur);
  return out;
}

export function processWord(word: string, env: Env, opts: LexOptions = {}): ExpandResult {
  // Most words (paths, image names) need no lexing at all; the shared empty sets are never mutated.
  if (isPlain(word, opts.escapeToken ?? '\\')) return { result: word, words: splitPlain(word), matched: NONE, unmatched: NONE };
  const sw = new ShellWord(word, env, fullOptions(opts));
  try {
    const [result, words] = sw.process();
    return { result, words, matched: sw.matched, unmatched: sw.unmatched };
  } catch (e) {
    if (e instanceof DockerfileError) throw e.withPrefix(`failed to process ${goQuote(word)}: `);
    throw e;
  }
}

/** `word` with variables expanded and quotes removed (one string, inner spaces kept). */
export function expandWord(word: string, env: Env, escapeToken = '\\'): string {
  return processWord(word, env, { escapeToken }).result;
}

/** `word` expanded, then split into words as the shell would (after expansion). */
export function expandWords(word: string, env: Env, escapeToken = '\\'): string[] {
  return processWord(word, env, { escapeToken }).words;
}

/** Go's strconv.Quote, used by the AST dump and in messages that BuildKit formats with %q. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (c >= 0x20 && c < 0x7f) out += ch;
    else if (c === 0x07) out += '\\a';
    else if (c === 0x08) out += '\\b';
    else if (c === 0x0c) out += '\\f';
    else if (c === 0x0a) out += '\\n';
    else if (c === 0x0d) out += '\\r';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0b) out += '\\v';
    else if (c < 0x80) out += '\\x' + c.toString(16).padStart(2, '0');
    else if (c >= 0xd800 && c <= 0xdfff) out += '\\ufffd';
    else if (isPrintable(ch)) out += ch;
    else if (c < 0x10000) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += '\\U' + c.toString(16).padStart(8, '0');
  }
  return out + '"';
}

const rePrintable = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;
function isPrintable(ch: string): boolean {
  return rePrintable.test(ch);
}
