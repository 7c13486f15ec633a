// Docker's `--format`: a subset of Go's text/template with docker's functions
// (json, join, split, upper, lower, title, pad, truncate, index, len, printf,
// println, eq/ne/not/and/or), `table` prefix with tabwriter alignment, and the
// `json` shorthand. Shared by every verb that takes --format (images, inspect,
// history, ps, ...). Values are plain JS data (what JSON.parse gives).
import { TugError } from '../util/errors.js';

type Value = unknown;

interface TextNode { kind: 'text'; text: string }
interface ActionNode { kind: 'action'; pipe: Pipeline }
interface IfNode { kind: 'if' | 'with'; pipe: Pipeline; then: Node[]; else: Node[] }
interface RangeNode { kind: 'range'; pipe: Pipeline; body: Node[]; else: Node[]; keyVar?: string; valVar?: string }
type Node = TextNode | ActionNode | IfNode | RangeNode;

type Arg =
  | { kind: 'field'; base: 'dot' | string /* $var */; path: string[] }
  | { kind: 'lit'; value: Value }
  | { kind: 'ident'; name: string }
  | { kind: 'sub'; pipe: Pipeline };
interface Cmd { args: Arg[] }
interface Pipeline { cmds: Cmd[]; decl?: string[] }

function templateError(format: string, message: string): TugError {
  return new TugError('INVALID_ARGUMENT', `invalid format "${format}": ${message}`, {
    hint: "--format takes a Go template such as '{{.ID}}' or '{{json .}}', 'table …', or 'json'",
  });
}

// ---------- lexing actions ----------

function tokenize(src: string, format: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) { i++; continue; }
    if (c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
      if (j >= src.length) throw templateError(format, 'unterminated quoted string');
      out.push(src.slice(i, j + 1));
      i = j + 1;
      continue;
    }
    if (c === '`') {
      const j = src.indexOf('`', i + 1);
      if (j < 0) throw templateError(format, 'unterminated raw string');
      out.push(src.slice(i, j + 1));
      i = j + 1;
      continue;
    }
    if (c === '(' || c === ')' || c === '|' || c === ',') { out.push(c); i++; continue; }
    if (src.startsWith(':=', i)) { out.push(':='); i += 2; continue; }
    let j = i;
    while (j < src.length && !/[\s()|,"`]/.test(src[j]) && !src.startsWith(':=', j)) j++;
    out.push(src.slice(i, j));
    i = j;
  }
  return out;
}

function parseArg(tok: string, format: string): Arg {
  if (tok.startsWith('"')) {
    try { return { kind: 'lit', value: JSON.parse(tok) as string }; } catch { throw templateError(format, `bad string ${tok}`); }
  }
  if (tok.startsWith('`')) return { kind: 'lit', value: tok.slice(1, -1) };
  if (/^-?\d+(\.\d+)?$/.test(tok)) return { kind: 'lit', value: Number(tok) };
  if (tok === 'true' || tok === 'false') return { kind: 'lit', value: tok === 'true' };
  if (tok === 'nil') return { kind: 'lit', value: null };
  if (tok === '.') return { kind: 'field', base: 'dot', path: [] };
  if (tok.startsWith('.')) return { kind: 'field', base: 'dot', path: tok.slice(1).split('.') };
  if (tok.startsWith('$')) {
    const [v, ...path] = tok.split('.');
    return { kind: 'field', base: v, path };
  }
  if (/^[A-Za-z_]\w*$/.test(tok)) return { kind: 'ident', name: tok };
  throw templateError(format, `unexpected "${tok}"`);
}

function parsePipeline(tokens: string[], format: string): Pipeline {
  let pos = 0;
  const pipeline = (): Pipeline => {
    const p: Pipeline = { cmds: [] };
    // variable declaration: $x := ... or $i, $v := ...
    const save = pos;
    const vars: string[] = [];
    while (pos < tokens.length && tokens[pos].startsWith('$') && !tokens[pos].includes('.')) {
      vars.push(tokens[pos++]);
      if (tokens[pos] === ',') { pos++; continue; }
      break;
    }
    if (vars.length && tokens[pos] === ':=') { pos++; p.decl = vars; } else pos = save;
    let cmd: Cmd = { args: [] };
    while (pos < tokens.length && tokens[pos] !== ')') {
      const t = tokens[pos++];
      if (t === '|') {
        if (!cmd.args.length) throw templateError(format, 'missing command before |');
        p.cmds.push(cmd);
        cmd = { args: [] };
      } else if (t === '(') {
        const sub = pipeline();
        if (tokens[pos++] !== ')') throw templateError(format, 'unclosed (');
        cmd.args.push({ kind: 'sub', pipe: sub });
      } else cmd.args.push(parseArg(t, format));
    }
    if (!cmd.args.length) throw templateError(format, 'empty command');
    p.cmds.push(cmd);
    return p;
  };
  const p = pipeline();
  if (pos !== tokens.length) throw templateError(format, 'unexpected )');
  return p;
}

// ---------- parsing the template ----------

export function parseTemplate(format: string): Node[] {
  const items: Array<{ text?: string; action?: string }> = [];
  let i = 0;
  while (i < format.length) {
    const open = format.indexOf('{{', i);
    if (open < 0) { items.push({ text: format.slice(i) }); break; }
    let text = format.slice(i, open);
    let start = open + 2;
    if (format[start] === '-' && /\s/.test(format[start + 1] ?? '')) { text = text.replace(/\s+$/, ''); start++; }
    items.push({ text });
    const close = format.indexOf('}}', start);
    if (close < 0) throw templateError(format, 'unclosed action');
    let end = close;
    let trimNext = false;
    if (format[close - 1] === '-' && /\s/.test(format[close - 2] ?? '')) { end = close - 1; trimNext = true; }
    items.push({ action: format.slice(start, end).trim() });
    i = close + 2;
    if (trimNext) while (i < format.length && /\s/.test(format[i])) i++;
  }

  let pos = 0;
  // {{if}}/{{with}}/{{range}} up to and including its {{end}}; {{else if X}} nests an if sharing that {{end}}
  const control = (word: string, rest: string): Node => {
    const pipe = parsePipeline(tokenize(rest, format), format);
    const body = block(['end', 'else']);
    let elseNodes: Node[] = [];
    if (body.term.startsWith('else')) {
      const cond = body.term.slice(4).trim();
      if (cond.startsWith('if ')) elseNodes = [control('if', cond.slice(3))];
      else elseNodes = block(['end']).nodes;
    }
    if (word === 'range') {
      const decl = pipe.decl ?? [];
      return { kind: 'range', pipe, body: body.nodes, else: elseNodes, keyVar: decl.length === 2 ? decl[0] : undefined, valVar: decl.length ? decl[decl.length - 1] : undefined };
    }
    return { kind: word === 'with' ? 'with' : 'if', pipe, then: body.nodes, else: elseNodes };
  };
  const block = (terminators: string[]): { nodes: Node[]; term: string } => {
    const nodes: Node[] = [];
    while (pos < items.length) {
      const it = items[pos++];
      if (it.text !== undefined) { if (it.text) nodes.push({ kind: 'text', text: it.text }); continue; }
      const a = it.action as string;
      if (a.startsWith('/*')) continue;
      const word = a.split(/\s+/)[0];
      if (word === 'end' || word === 'else') {
        if (!terminators.includes(word)) throw templateError(format, `unexpected {{${word}}}`);
        return { nodes, term: a };
      }
      if (word === 'if' || word === 'with' || word === 'range') {
        nodes.push(control(word, a.slice(word.length)));
        continue;
      }
      nodes.push({ kind: 'action', pipe: parsePipeline(tokenize(a, format), format) });
    }
    if (terminators.length) throw templateError(format, 'missing {{end}}');
    return { nodes, term: '' };
  };
  return block([]).nodes;
}

// ---------- printing values as Go does ----------

export function goString(v: Value): string {
  if (v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return `[${v.map(goString).join(' ')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, Value>;
    return `map[${Object.keys(o).sort().map((k) => `${k}:${goString(o[k])}`).join(' ')}]`;
  }
  return String(v);
}

function truthy(v: Value): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v as object).length > 0;
  return true;
}

function sprintf(fmt: string, args: Value[]): string {
  let n = 0;
  return fmt.replace(/%([-+ 0#]*)(\d*)(?:\.(\d+))?([svdqtfx%])/g, (_m, flags: string, width: string, prec: string | undefined, verb: string) => {
    if (verb === '%') return '%';
    const a = args[n++];
    let s: string;
    if (verb === 'q') s = JSON.stringify(goString(a));
    else if (verb === 'd') s = String(Math.trunc(Number(a)));
    else if (verb === 'f') s = Number(a).toFixed(prec === undefined ? 6 : Number(prec));
    else if (verb === 'x') s = typeof a === 'number' ? a.toString(16) : Buffer.from(goString(a)).toString('hex');
    else s = goString(a);
    if (prec !== undefined && verb === 's') s = s.slice(0, Number(prec));
    const w = Number(width || 0);
    if (s.length < w) s = flags.includes('-') ? s.padEnd(w) : s.padStart(w, flags.includes('0') ? '0' : ' ');
    return s;
  });
}

/** JSON as Go's encoding/json prints it (HTML characters escaped, as Go does). */
export function goJson(v: Value, indent?: number): string {
  return JSON.stringify(v === undefined ? null : v, null, indent)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026');
}

const functions: Record<string, (...a: Value[]) => Value> = {
  json: (v) => goJson(v),
  join: (list, sep) => (Array.isArray(list) ? list.map(goString).join(String(sep)) : goString(list)),
  split: (s, sep) => String(s).split(String(sep)),
  upper: (s) => String(s).toUpperCase(),
  lower: (s) => String(s).toLowerCase(),
  title: (s) => String(s).replace(/\b\w/g, (c) => c.toUpperCase()),
  pad: (s, l, r) => `${' '.repeat(Number(l))}${goString(s)}${' '.repeat(Number(r))}`,
  truncate: (s, n) => [...goString(s)].slice(0, Number(n)).join(''),
  len: (v) => (Array.isArray(v) || typeof v === 'string' ? v.length : v && typeof v === 'object' ? Object.keys(v).length : 0),
  index: (v, ...keys) => keys.reduce<Value>((acc, k) => (acc && typeof acc === 'object' ? (acc as Record<string, Value>)[String(k)] : undefined), v),
  print: (...a) => a.map(goString).join(''),
  println: (...a) => `${a.map(goString).join(' ')}\n`,
  printf: (f, ...a) => sprintf(String(f), a),
  eq: (a, ...b) => b.some((x) => x === a),
  ne: (a, b) => a !== b,
  lt: (a, b) => Number(a) < Number(b),
  gt: (a, b) => Number(a) > Number(b),
  not: (a) => !truthy(a),
  and: (...a) => a.reduce<Value>((acc, x) => (truthy(acc) ? x : acc), true),
  or: (...a) => a.reduce<Value>((acc, x) => (truthy(acc) ? acc : x), false),
};

// ---------- executing ----------

interface Scope {
  dot: Value;
  vars: Map<string, Value>;
  /** Listing rows are Go structs in docker: an unknown top-level field is an error, not "<no value>". */
  strictFields?: boolean;
}

function fieldOf(base: Value, path: string[]): Value {
  let v = base;
  for (const p of path) {
    if (v === null || v === undefined || typeof v !== 'object') return undefined;
    v = (v as Record<string, Value>)[p];
  }
  return v;
}

function evalArg(a: Arg, s: Scope, format: string): Value {
  switch (a.kind) {
    case 'lit': return a.value;
    case 'sub': return evalPipe(a.pipe, s, format);
    case 'ident': {
      const f = functions[a.name];
      if (!f) throw templateError(format, `function "${a.name}" not defined`);
      return f();
    }
    case 'field': {
      if (a.base === 'dot') {
        if (s.strictFields && a.path.length && s.dot && typeof s.dot === 'object' && !(a.path[0] in (s.dot as object))) {
          throw templateError(format, `can't evaluate field ${a.path[0]}`);
        }
        return fieldOf(s.dot, a.path);
      }
      if (!s.vars.has(a.base)) throw templateError(format, `undefined variable "${a.base}"`);
      return fieldOf(s.vars.get(a.base), a.path);
    }
  }
}

function evalPipe(p: Pipeline, s: Scope, format: string): Value {
  let prev: Value;
  let first = true;
  for (const cmd of p.cmds) {
    const [head, ...rest] = cmd.args;
    const extra = first ? [] : [prev];
    if (head.kind === 'ident') {
      const f = functions[head.name];
      if (!f) throw templateError(format, `function "${head.name}" not defined`);
      prev = f(...rest.map((r) => evalArg(r, s, format)), ...extra);
    } else {
      if (rest.length || extra.length) throw templateError(format, `can't give argument to non-function`);
      prev = evalArg(head, s, format);
    }
    first = false;
  }
  if (p.decl?.length === 1) s.vars.set(p.decl[0], prev);
  return prev;
}

function exec(nodes: Node[], s: Scope, out: string[], format: string): void {
  for (const n of nodes) {
    switch (n.kind) {
      case 'text': out.push(n.text); break;
      case 'action': {
        const v = evalPipe(n.pipe, s, format);
        if (!n.pipe.decl) out.push(goString(v));
        break;
      }
      case 'if':
      case 'with': {
        const v = evalPipe(n.pipe, s, format);
        if (truthy(v)) exec(n.then, n.kind === 'with' ? { dot: v, vars: s.vars } : s, out, format);
        else exec(n.else, s, out, format);
        break;
      }
      case 'range': {
        const saved = n.pipe.decl;
        n.pipe.decl = undefined;
        const v = evalPipe(n.pipe, s, format);
        n.pipe.decl = saved;
        const entries: Array<[Value, Value]> = Array.isArray(v)
          ? v.map((x, i) => [i, x])
          : v && typeof v === 'object' ? Object.keys(v).sort().map((k) => [k, (v as Record<string, Value>)[k]]) : [];
        if (!entries.length) { exec(n.else, s, out, format); break; }
        for (const [k, x] of entries) {
          const vars = new Map(s.vars);
          if (n.keyVar) vars.set(n.keyVar, k);
          if (n.valVar) vars.set(n.valVar, x);
          exec(n.body, { dot: x, vars }, out, format);
        }
        break;
      }
    }
  }
}

export interface Template {
  render(data: Value): string;
}

export function compileTemplate(format: string, opts: { strictFields?: boolean } = {}): Template {
  // docker turns the two-character sequences \t and \n into real ones
  const source = format.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  const nodes = parseTemplate(source);
  return {
    render(data: Value): string {
      const out: string[] = [];
      exec(nodes, { dot: data, vars: new Map([['$', data]]), strictFields: opts.strictFields }, out, format);
      return out.join('');
    },
  };
}

/** Go's text/tabwriter with docker's settings (minwidth 10, padding 3, spaces). */
export function tabwrite(lines: string[], minWidth = 10, padding = 3): string {
  const rows = lines.map((l) => l.split('\t'));
  const widths: number[] = [];
  for (const r of rows) {
    for (let i = 0; i < r.length - 1; i++) widths[i] = Math.max(widths[i] ?? 0, Math.max([...r[i]].length + padding, minWidth));
  }
  return rows.map((r) => r.map((c, i) => (i < r.length - 1 ? c.padEnd(widths[i] + c.length - [...c].length) : c)).join('')).join('\n');
}

export interface FormatOptions<T> {
  /** The column headers a `table` format prints, by field name (docker's labels). */
  headers: Record<string, string>;
  /** What `json` prints per row (docker prints the same fields the template sees). */
  json?: (row: T) => Value;
}

/**
 * Renders rows with docker's --format rules: "json" (one JSON object per line),
 * "table …" (header + aligned columns) or a plain template (one line per row).
 */
export function formatRows<T>(format: string, rows: T[], opts: FormatOptions<T>): string {
  if (format === 'json') return rows.map((r) => `${goJson(opts.json ? opts.json(r) : r)}\n`).join('');
  const isTable = format.startsWith('table');
  const body = isTable ? format.slice('table'.length).trim() || '{{json .}}' : format;
  const tpl = compileTemplate(body, { strictFields: true });
  const lines = rows.map((r) => tpl.render(r));
  if (!isTable) return lines.map((l) => `${l}\n`).join('');
  const header = compileTemplate(body).render(new Proxy({}, { get: (_t, k) => (typeof k === 'string' ? opts.headers[k] ?? k.toUpperCase() : undefined) }));
  return `${tabwrite([header, ...lines])}\n`;
}

/** Renders one value (inspect): "json" prints it indented; else the template. */
export function formatValue(format: string, value: Value): string {
  if (format === 'json') return `${goJson(value, 4)}\n`;
  return `${compileTemplate(format).render(value)}\n`;
}
