// Low-level Dockerfile parser: text → a tree of nodes with line ranges, the
// same shape and rules as BuildKit's parser package (parser directives,
// continuation lines with comments and empty lines inside, heredocs, per
// instruction argument parsing). `dumpAst` prints BuildKit's S-expression
// dump, which the corpus tests compare byte for byte.
import { DockerfileError, type ErrorLocation } from './errors.js';
import { goQuote, isSpace, processWord } from './shell.js';

export interface Heredoc {
  /** The delimiter word, quotes removed. */
  name: string;
  fileDescriptor: number;
  /** False when the delimiter was quoted: the body is not expanded. */
  expand: boolean;
  /** `<<-`: leading tabs are stripped from the body and the delimiter line. */
  chomp: boolean;
  /** The body as written, each line with its newline. */
  content: string;
}

export interface Node {
  value: string;
  next?: Node;
  children: Node[];
  heredocs: Heredoc[];
  /** `json: true` when the arguments were a JSON array. */
  json: boolean;
  /** The instruction line with continuations joined (no heredoc bodies). */
  original: string;
  flags: string[];
  startLine: number;
  endLine: number;
  comments: string[];
}

export interface Directive {
  name: string; // lower case: syntax, escape, check
  value: string;
  line: number;
}

export interface ParseWarning {
  short: string;
  detail: string;
  url: string;
  line: number;
}

export interface AstResult {
  root: Node;
  escapeToken: string;
  directives: Directive[];
  warnings: ParseWarning[];
  /** The source split into lines (no newlines), for error snippets. */
  lines: string[];
}

const MAX_LINE = 65535; // Go's bufio.MaxScanTokenSize - 1
const reWhitespace = /[\t\v\f\r ]+/;
const reDirective = /^([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*$/;
const reHeredoc = /^([0-9]*)<<(-?)([^<]*)$/;
const VALID_DIRECTIVES = new Set(['syntax', 'escape', 'check']);
const HEREDOC_COMMANDS = new Set(['add', 'copy', 'run']);

// Argument nodes never get children, heredocs, flags or comments: they share these
// frozen empty arrays (fewer allocations on large files); instruction nodes get their own.
const NO_NODES: Node[] = Object.freeze([]) as unknown as Node[];
const NO_HEREDOCS: Heredoc[] = Object.freeze([]) as unknown as Heredoc[];
const NO_STRINGS: string[] = Object.freeze([]) as unknown as string[];

function newNode(value = ''): Node {
  return { value, children: NO_NODES, heredocs: NO_HEREDOCS, json: false, original: '', flags: NO_STRINGS, startLine: 0, endLine: 0, comments: NO_STRINGS };
}

function newInstructionNode(value: string): Node {
  return { value, children: [], heredocs: [], json: false, original: '', flags: [], startLine: 0, endLine: 0, comments: [] };
}

function trimLeft(s: string): string {
  let i = 0;
  while (i < s.length && isSpace(s[i])) i++;
  return i ? s.slice(i) : s;
}
function trimSpace(s: string): string {
  let j = s.length;
  while (j > 0 && isSpace(s[j - 1])) j--;
  return trimLeft(s.slice(0, j));
}
function trimNewline(s: string): string {
  let j = s.length;
  while (j > 0 && (s[j - 1] === '\n' || s[j - 1] === '\r')) j--;
  return j === s.length ? s : s.slice(0, j);
}
function isComment(line: string): boolean {
  const t = trimLeft(line);
  return t.length > 0 && t[0] === '#';
}

/** Splits text into lines, each keeping its "\n" (the last may lack one). */
function scanLines(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (;;) {
    const i = text.indexOf('\n', start);
    if (i < 0) {
      if (start < text.length) out.push(text.slice(start));
      return out;
    }
    out.push(text.slice(start, i + 1));
    start = i + 1;
  }
}

class Directives {
  escapeToken = '\\';
  continuation = makeContinuation('\\');
  done = false;
  seen = new Set<string>();
  found: Directive[] = [];

  /** Looks for `# name=value` before anything else; returns true when the line was one. */
  possible(line: string, lineNo: number): boolean {
    if (this.done) return false;
    if (!line.startsWith('#')) {
      this.done = true;
      return false;
    }
    const m = reDirective.exec(trimLeft(line.slice(1)));
    if (!m) {
      this.done = true;
      return false;
    }
    const name = m[1].toLowerCase();
    if (!VALID_DIRECTIVES.has(name)) {
      this.done = true;
      return false;
    }
    if (this.seen.has(name)) throw new DockerfileError(`only one ${name} parser directive can be used`);
    this.seen.add(name);
    this.found.push({ name, value: m[2], line: lineNo });
    if (name === 'escape') {
      if (m[2] !== '`' && m[2] !== '\\') {
        throw new DockerfileError(`invalid escape token '${m[2]}' does not match \` or \\`, { hint: 'use "# escape=\\" or "# escape=`"' });
      }
      this.escapeToken = m[2];
      this.continuation = makeContinuation(m[2]);
    }
    return true;
  }
}

function makeContinuation(token: string): RegExp {
  const e = token === '\\' ? '\\\\' : token;
  // The token ends the line (trailing blanks allowed) unless it is itself escaped.
  return new RegExp(`([^${e}])${e}[ \\t]*$|^${e}[ \\t]*$`);
}

function trimContinuation(line: string, d: Directives): [string, boolean] {
  // Cheap pre-check: the last character other than blanks must be the escape token.
  let j = line.length - 1;
  while (j >= 0 && (line[j] === ' ' || line[j] === '\t')) j--;
  if (j < 0 || line[j] !== d.escapeToken) return [line, true];
  if (d.continuation.test(line)) return [line.replace(d.continuation, '$1'), false];
  return [line, true];
}

export interface ParseAstOptions {
  filename?: string;
}

/** Parses Dockerfile text into the node tree; throws DockerfileError with a location. */
export function parseAst(text: string, opts: ParseAstOptions = {}): AstResult {
  const file = opts.filename ?? 'Dockerfile';
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const raw = scanLines(text);
  const lines = raw.map(trimNewline);
  const loc = (line: number, column = 0): ErrorLocation => ({ file, line, column, source: line > 0 ? lines[line - 1] : undefined });
  const d = new Directives();
  const root = newInstructionNode('');
  root.startLine = -1;
  const warnings: ParseWarning[] = [];
  let comments: string[] = [];
  let idx = 0;
  let currentLine = 0;

  const processLine = (token: string, lineNo: number, stripLeft: boolean): string => {
    if (token.length > MAX_LINE) throw new DockerfileError(`dockerfile line greater than max allowed size of ${MAX_LINE}`).at(loc(lineNo));
    token = trimNewline(token);
    if (stripLeft) token = trimLeft(token);
    try {
      if (d.possible(token, lineNo) && comments.length) comments = comments.slice(0, -1);
    } catch (e) {
      throw e instanceof DockerfileError ? e.at(loc(lineNo, 1)) : e;
    }
    return isComment(token) ? '' : token;
  };

  while (idx < raw.length) {
    const first = raw[idx++];
    if (isComment(first)) {
      const c = trimSpace(trimLeft(first).slice(1));
      if (c === '') comments = [];
      else comments.push(c);
    }
    const processed = processLine(first, currentLine + 1, true);
    currentLine++;
    const startLine = currentLine;
    let [line, eol] = trimContinuation(processed, d);
    if (eol && line === '') continue;

    let hasEmptyContinuation = false;
    while (!eol && idx < raw.length) {
      const next = raw[idx++];
      const tok = processLine(next, currentLine + 1, false);
      currentLine++;
      if (isComment(next)) continue;
      if (trimLeft(tok).length === 0) {
        hasEmptyContinuation = true;
        continue;
      }
      let part: string;
      [part, eol] = trimContinuation(tok, d);
      line += part;
    }
    if (hasEmptyContinuation) {
      warnings.push({
        short: 'Empty continuation line found in: ' + line,
        detail: 'Empty continuation lines will become errors in a future release',
        url: 'https://docs.docker.com/go/dockerfile/rule/no-empty-continuation/',
        line: currentLine,
      });
    }

    let child: Node;
    try {
      child = nodeFromLine(line, d, comments);
    } catch (e) {
      throw e instanceof DockerfileError ? e.at(loc(startLine, firstColumn(lines[startLine - 1]))) : e;
    }

    if (canContainHeredoc(child) && line.includes('<<')) {
      let docs: Heredoc[];
      try {
        docs = heredocsFromLine(line);
      } catch (e) {
        throw e instanceof DockerfileError ? e.at(loc(startLine, firstColumn(lines[startLine - 1]))) : e;
      }
      for (const doc of docs) {
        let terminated = false;
        while (idx < raw.length) {
          const body = raw[idx++];
          currentLine++;
          let candidate = trimNewline(body);
          if (doc.chomp) candidate = candidate.replace(/^\t+/, '');
          if (candidate === doc.name) {
            terminated = true;
            break;
          }
          doc.content += body;
        }
        if (!terminated) {
          throw new DockerfileError('unterminated heredoc', { hint: `end the heredoc with a line containing only "${doc.name}"` }).at(
            loc(startLine, firstColumn(lines[startLine - 1])),
          );
        }
        child.heredocs.push(doc);
      }
    }

    child.startLine = startLine;
    child.endLine = currentLine;
    if (root.startLine < 0) root.startLine = startLine;
    root.endLine = currentLine;
    root.children.push(child);
    comments = [];
  }

  if (root.startLine < 0) {
    throw new DockerfileError('file with no instructions', { hint: 'a Dockerfile needs at least a FROM instruction' }).at({ file, line: currentLine, column: 0 });
  }
  return { root, escapeToken: d.escapeToken, directives: d.found, warnings, lines };
}

function firstColumn(line: string | undefined): number {
  if (line === undefined) return 0;
  let i = 0;
  while (i < line.length && isSpace(line[i])) i++;
  return i + 1;
}

function canContainHeredoc(node: Node): boolean {
  let n = node;
  if (n.value.toLowerCase() === 'onbuild' && n.next && n.next.children.length > 0) n = n.next.children[0];
  return HEREDOC_COMMANDS.has(n.value.toLowerCase()) && !n.json;
}

function splitCommand(line: string): { cmd: string; flags: string[]; args: string } {
  const trimmed = trimSpace(line);
  const m = reWhitespace.exec(trimmed);
  if (!m) return { cmd: trimmed, flags: [], args: '' };
  const cmd = trimmed.slice(0, m.index);
  const [args, flags] = extractBuilderFlags(trimmed.slice(m.index + m[0].length));
  return { cmd, flags, args: trimSpace(args) };
}

/** Leading `--name[=value]` words; returns the rest of the line and the flags. */
function extractBuilderFlags(line: string): [string, string[]] {
  // Fast path: flags without quotes or backslashes (nearly all) are plain slices.
  const fast: string[] = [];
  let pos = 0;
  for (;;) {
    while (pos < line.length && isSpace(line[pos])) pos++;
    if (pos >= line.length) return ['', fast];
    if (line[pos] !== '-' || line[pos + 1] !== '-') return [line.slice(pos), fast];
    let end = pos;
    let plain = true;
    while (end < line.length && !isSpace(line[end])) {
      const c = line[end];
      if (c === '"' || c === "'" || c === '\\') {
        plain = false;
        break;
      }
      end++;
    }
    if (!plain) break;
    const word = line.slice(pos, end);
    if (word === '--') return [line.slice(end), fast];
    fast.push(word);
    pos = end;
  }
  return extractBuilderFlagsSlow(line);
}

/** The general case, character by character (quotes and backslashes inside flags). */
function extractBuilderFlagsSlow(line: string): [string, string[]] {
  const words: string[] = [];
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let word = '';
  let quote = '';
  let blankOK = false;
  for (let pos = 0; pos <= line.length; pos++) {
    const ch = pos < line.length ? line[pos] : '';
    if (phase === 'spaces') {
      if (pos === line.length) break;
      if (isSpace(ch)) continue;
      if (ch !== '-' || pos + 1 === line.length || line[pos + 1] !== '-') return [line.slice(pos), words];
      phase = 'word';
    }
    if (pos === line.length) {
      if (word !== '--' && (blankOK || word.length > 0)) words.push(word);
      break;
    }
    if (phase === 'word') {
      if (isSpace(ch)) {
        phase = 'spaces';
        if (word === '--') return [line.slice(pos), words];
        if (blankOK || word.length > 0) words.push(word);
        word = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 'quote';
        continue;
      }
      let c = ch;
      if (c === '\\') {
        if (pos + 1 === line.length) continue;
        c = line[++pos];
      }
      word += c;
      continue;
    }
    // inside quotes
    if (ch === quote) {
      phase = 'word';
      continue;
    }
    let c = ch;
    if (c === '\\') {
      if (pos + 1 === line.length) {
        phase = 'word';
        continue;
      }
      c = line[++pos];
    }
    word += c;
  }
  return ['', words];
}

type LineParser = (rest: string, d: Directives) => { node?: Node; json?: boolean };

const DISPATCH: Record<string, LineParser> = {
  add: parseMaybeJSONToList,
  arg: parseNameOrNameVal,
  cmd: parseMaybeJSON,
  copy: parseMaybeJSONToList,
  entrypoint: parseMaybeJSON,
  env: (rest, d) => ({ node: parseNameVal(rest, 'ENV', d) }),
  expose: parseStringsWhitespaceDelimited,
  from: parseStringsWhitespaceDelimited,
  healthcheck: parseHealthConfig,
  label: (rest, d) => ({ node: parseNameVal(rest, 'LABEL', d) }),
  maintainer: parseString,
  onbuild: parseSubCommand,
  run: parseMaybeJSON,
  shell: parseMaybeJSON,
  stopsignal: parseString,
  user: parseString,
  volume: parseMaybeJSONToList,
  workdir: parseString,
};

function nodeFromLine(line: string, d: Directives, comments: string[]): Node {
  const { cmd, flags, args } = splitCommand(line);
  const fn: LineParser = DISPATCH[cmd.toLowerCase()] ?? (() => ({ node: newNode() }));
  const r = fn(args, d);
  const node = newInstructionNode(cmd);
  node.original = line;
  node.flags = flags;
  node.next = r.node;
  node.json = r.json ?? false;
  node.comments = comments;
  return node;
}

function parseSubCommand(rest: string, d: Directives): { node?: Node } {
  if (rest === '') return {};
  const child = nodeFromLine(rest, d, []);
  const n = newNode();
  n.children = [child];
  return { node: n };
}

/** Words separated by whitespace; quotes and escapes kept for later processing. */
export function parseWords(rest: string, escapeToken: string): string[] {
  const words: string[] = [];
  const chars = Array.from(rest);
  let phase: 'spaces' | 'word' | 'quote' = 'spaces';
  let quote = '';
  let blankOK = false;
  let sb = '';
  for (let pos = 0; pos <= chars.length; pos++) {
    let ch = pos < chars.length ? chars[pos] : '';
    if (phase === 'spaces') {
      if (pos === chars.length) break;
      if (isSpace(ch)) continue;
      phase = 'word';
    }
    if (pos === chars.length) {
      if (blankOK || sb.length > 0) words.push(sb);
      break;
    }
    if (phase === 'word') {
      if (isSpace(ch)) {
        phase = 'spaces';
        if (blankOK || sb.length > 0) words.push(sb);
        sb = '';
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        phase = 'quote';
      }
      if (ch === escapeToken) {
        if (pos + 1 === chars.length) continue;
        sb += ch;
        ch = chars[++pos];
      }
      sb += ch;
      continue;
    }
    if (ch === quote) phase = 'word';
    if (ch === escapeToken && quote !== "'") {
      if (pos + 1 === chars.length) {
        phase = 'word';
        continue;
      }
      sb += ch;
      ch = chars[++pos];
    }
    sb += ch;
  }
  return words;
}

function keyValueNode(key: string, value: string, sep: string): Node {
  const n = newNode(key);
  n.next = newNode(value);
  n.next.next = newNode(sep);
  return n;
}

function parseNameVal(rest: string, key: string, d: Directives): Node | undefined {
  const words = parseWords(rest, d.escapeToken);
  if (words.length === 0) return undefined;
  if (!words[0].includes('=')) {
    // legacy form: KEY name value
    const m = reWhitespace.exec(rest);
    if (!m) throw new DockerfileError(`${key} must have two arguments`, { hint: `use ${key} name=value` });
    return keyValueNode(rest.slice(0, m.index), rest.slice(m.index + m[0].length), '');
  }
  let root: Node | undefined;
  let tail: Node | undefined;
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq < 0) {
      throw new DockerfileError(`Syntax error - can't find = in ${goQuote(w)}. Must be of the form: name=value`);
    }
    const n = keyValueNode(w.slice(0, eq), w.slice(eq + 1), '=');
    if (!root) root = n;
    if (tail) tail.next = n;
    tail = n.next?.next;
  }
  return root;
}

function parseNameOrNameVal(rest: string, d: Directives): { node?: Node } {
  const words = parseWords(rest, d.escapeToken);
  let root: Node | undefined;
  let prev: Node | undefined;
  for (const w of words) {
    const n = newNode(w);
    if (!root) root = n;
    if (prev) prev.next = n;
    prev = n;
  }
  return { node: root };
}

function parseStringsWhitespaceDelimited(rest: string): { node?: Node } {
  if (rest === '') return {};
  let root: Node | undefined;
  let prev: Node | undefined;
  for (const s of rest.split(reWhitespaceGlobal)) {
    const n = newNode(s);
    if (!root) root = n;
    if (prev) prev.next = n;
    prev = n;
  }
  return { node: root };
}
const reWhitespaceGlobal = /[\t\v\f\r ]+/;

function parseString(rest: string): { node?: Node } {
  return rest === '' ? {} : { node: newNode(rest) };
}

const NOT_STRINGS = 'when using JSON array syntax, arrays must be comprised of strings only';

/** undefined when `rest` is not a JSON array; throws when it is one with non-strings. */
function parseJSON(rest: string): { node?: Node; json: true } | undefined {
  rest = trimLeft(rest);
  if (!rest.startsWith('[')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(rest);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  let root: Node | undefined;
  let prev: Node | undefined;
  for (const v of parsed) {
    if (typeof v !== 'string') throw new DockerfileError(NOT_STRINGS);
    const n = newNode(v);
    if (!root) root = n;
    if (prev) prev.next = n;
    prev = n;
  }
  return { node: root, json: true };
}

function parseMaybeJSON(rest: string): { node?: Node; json?: boolean } {
  if (rest === '') return {};
  return parseJSON(rest) ?? { node: newNode(rest) };
}

function parseMaybeJSONToList(rest: string): { node?: Node; json?: boolean } {
  return parseJSON(rest) ?? parseStringsWhitespaceDelimited(rest);
}

function parseHealthConfig(rest: string): { node?: Node; json?: boolean } {
  let sep = 0;
  while (sep < rest.length && !isSpace(rest[sep])) sep++;
  let next = sep;
  while (next < rest.length && isSpace(rest[next])) next++;
  if (sep === 0) return {};
  const r = parseMaybeJSON(rest.slice(next));
  const n = newNode(rest.slice(0, sep));
  n.next = r.node;
  return { node: n, json: r.json };
}

/** The heredoc words (`<<EOF`, `<<-"EOF"`, `3<<EOF`) of an instruction line. */
function heredocsFromLine(line: string): Heredoc[] {
  let words: string[];
  try {
    words = processWord(line, EMPTY, { rawQuotes: true, rawEscapes: true, skipUnsetEnv: true }).words;
  } catch {
    return [];
  }
  const docs: Heredoc[] = [];
  for (const w of words) {
    const h = parseHeredoc(w);
    if (h) docs.push(h);
  }
  return docs;
}
const EMPTY: ReadonlyMap<string, string> = new Map();

/** A heredoc from one word, or undefined when the word is not one. */
export function parseHeredoc(word: string): Heredoc | undefined {
  const m = reHeredoc.exec(word);
  if (!m) return undefined;
  const rest = m[3];
  if (rest.length === 0) return undefined;
  const words = processWord(rest, EMPTY, { skipUnsetEnv: true }).words;
  if (words.length !== 1) return undefined;
  const raw = processWord(rest, EMPTY, { skipUnsetEnv: true, rawQuotes: true }).words;
  if (raw.length !== words.length) throw new DockerfileError(`internal lexing of heredoc produced inconsistent results: ${rest}`);
  const count = (s: string): number => s.split("'").length + s.split('"').length - 2;
  return {
    name: words[0],
    fileDescriptor: m[1] === '' ? 0 : Number(m[1]),
    expand: count(words[0]) === count(raw[0]),
    chomp: m[2] === '-',
    content: '',
  };
}

/** Removes leading tabs from every line (the `<<-` form). */
export function chompHeredocContent(s: string): string {
  return s.replace(/^\t+/gm, '');
}

/** BuildKit's S-expression dump of a node tree. */
export function dumpNode(node: Node): string {
  let s = node.value.toLowerCase();
  if (node.flags.length > 0) s += ` [${node.flags.map(goQuote).join(' ')}]`;
  for (const c of node.children) s += '(' + dumpNode(c) + ')\n';
  for (let n = node.next; n; n = n.next) {
    s += n.children.length > 0 ? ' ' + dumpNode(n) : ' ' + goQuote(n.value);
  }
  return trimSpace(s);
}

/** The dump of a whole file, as BuildKit's parser tests compare it (with a final newline). */
export function dumpAst(result: AstResult): string {
  return dumpNode(result.root) + '\n';
}
