// parseDockerfile: text → directives, global ARGs and stages of typed
// instructions, each with its source location. Pure: no I/O, no expansion.
import { parseAst, type AstResult, type Directive, type ParseWarning } from './ast.js';
import { DockerfileError } from './errors.js';
import { instructionFromNode, type ArgInstruction, type FromInstruction, type Instruction, type Location } from './instructions.js';

export interface CheckDirective {
  /** Rule names to skip; ["all"] skips every rule. */
  skip: string[];
  /** Fail the build (or `check`) when a rule reports something. */
  error: boolean;
  /** Experimental rules turned on. */
  experimental: string[];
}

export interface Directives {
  syntax?: string;
  escape?: string;
  check?: CheckDirective;
  all: Directive[];
}

export interface Stage {
  index: number;
  /** Lower-cased `AS` name. */
  name?: string;
  from: FromInstruction;
  /** Base image expression, unexpanded (`golang:${GO_VERSION}`, `build`, `scratch`). */
  image: string;
  /** `--platform` expression, unexpanded. */
  platform?: string;
  /** The instructions after FROM, in order. */
  instructions: Instruction[];
  location: Location;
}

export interface Dockerfile {
  filename: string;
  escapeToken: string;
  directives: Directives;
  /** ARGs before the first FROM (visible in FROM lines). */
  globalArgs: ArgInstruction[];
  stages: Stage[];
  /** Every instruction in file order (FROMs included). */
  instructions: Instruction[];
  /** Parser warnings (empty continuation lines). */
  warnings: ParseWarning[];
  /** The source lines, for error snippets and lint output. */
  lines: string[];
  ast: AstResult;
}

export interface ParseOptions {
  /** Shown in error messages and lint output (default "Dockerfile"). */
  filename?: string;
}

/** Parses `# check=skip=A,B;error=true;experimental=C`. */
export function parseCheckDirective(value: string): CheckDirective {
  const out: CheckDirective = { skip: [], error: false, experimental: [] };
  for (const part of value.split(';')) {
    const p = part.trim();
    if (p === '') continue;
    const eq = p.indexOf('=');
    if (eq < 0) throw new DockerfileError(`invalid check directive "${p}": expected key=value`, { hint: '# check=skip=<rules>;error=true' });
    const key = p.slice(0, eq).trim().toLowerCase();
    const v = p.slice(eq + 1).trim();
    const list = v.split(',').map((x) => x.trim()).filter((x) => x !== '');
    if (key === 'skip') out.skip = list;
    else if (key === 'experimental') out.experimental = list;
    else if (key === 'error') {
      const b = v.toLowerCase();
      if (b !== 'true' && b !== 'false') throw new DockerfileError(`invalid check directive: error=${v} is not a boolean`);
      out.error = b === 'true';
    } else throw new DockerfileError(`invalid check directive key "${key}"`, { hint: 'keys are skip, error and experimental' });
  }
  return out;
}

export function parseDockerfile(text: string, opts: ParseOptions = {}): Dockerfile {
  const filename = opts.filename ?? 'Dockerfile';
  const ast = parseAst(text, { filename });
  const lines = ast.lines;
  const directives: Directives = { all: ast.directives };
  for (const d of ast.directives) {
    if (d.name === 'syntax') directives.syntax = d.value;
    else if (d.name === 'escape') directives.escape = d.value;
    else if (d.name === 'check') {
      try {
        directives.check = parseCheckDirective(d.value);
      } catch (e) {
        throw e instanceof DockerfileError ? e.at({ file: filename, line: d.line, column: 1, source: lines[d.line - 1] }) : e;
      }
    }
  }

  const globalArgs: ArgInstruction[] = [];
  const stages: Stage[] = [];
  const instructions: Instruction[] = [];
  for (const node of ast.root.children) {
    let inst: Instruction;
    try {
      inst = instructionFromNode(node, filename);
    } catch (e) {
      if (!(e instanceof DockerfileError)) throw e;
      const src = lines[node.startLine - 1] ?? '';
      throw e.at({ file: filename, line: node.startLine, column: errorColumn(e.reason, src), source: src });
    }
    instructions.push(inst);
    if (inst.kind === 'FROM') {
      stages.push({
        index: stages.length, name: inst.stageName, from: inst, image: inst.image, platform: inst.platform, instructions: [],
        location: { ...inst.location },
      });
      continue;
    }
    const stage = stages[stages.length - 1];
    if (!stage) {
      if (inst.kind === 'ARG') {
        globalArgs.push(inst);
        continue;
      }
      const src = lines[node.startLine - 1] ?? '';
      throw new DockerfileError('no build stage in current context', {
        hint: `a Dockerfile must start with FROM (only ARG may come before it); found ${inst.kind}`,
      }).at({ file: filename, line: node.startLine, column: errorColumn('', src), source: src });
    }
    stage.instructions.push(inst);
    stage.location.endLine = inst.location.endLine;
  }
  if (stages.length === 0) {
    throw new DockerfileError('the Dockerfile has no FROM instruction', { hint: 'add FROM <image> (or FROM scratch)' }).at({
      file: filename, line: 0, column: 0,
    });
  }
  return { filename, escapeToken: ast.escapeToken, directives, globalArgs, stages, instructions, warnings: ast.warnings, lines, ast };
}

/** The column an error points at: the offending flag when there is one, else the keyword. */
function errorColumn(reason: string, src: string): number {
  const flag = /^unknown flag: (\S+)/.exec(reason) ?? /flag(?: specified)?: (\S+)/.exec(reason) ?? /flag (\S+),/.exec(reason);
  if (flag) {
    const i = src.indexOf('--' + flag[1]);
    if (i >= 0) return i + 1;
  }
  if (/mount/i.test(reason)) {
    const i = src.indexOf('--mount');
    if (i >= 0) return i + 1;
  }
  let i = 0;
  while (i < src.length && (src[i] === ' ' || src[i] === '\t')) i++;
  return i + 1;
}

/**
 * Parses one instruction on its own, e.g. an ONBUILD trigger read back from a
 * base image's config (`RUN echo hi`, `COPY . /src`), with the escape token
 * of the Dockerfile that runs it.
 */
export function parseInstruction(text: string, opts: { filename?: string; escapeToken?: string } = {}): Instruction {
  const filename = opts.filename ?? 'Dockerfile';
  const escape = opts.escapeToken ?? '\\';
  // The escape directive only matters for continuations and quoting; a one-line trigger needs it for the latter.
  const prefix = escape === '`' ? '# escape=`\n' : '';
  const ast = parseAst(prefix + text, { filename });
  const nodes = ast.root.children;
  if (nodes.length !== 1) throw new DockerfileError(`expected one instruction, found ${nodes.length}`, { hint: JSON.stringify(text) });
  const node = nodes[0];
  const line = node.startLine - (prefix ? 1 : 0);
  try {
    const inst = instructionFromNode({ ...node, startLine: line, endLine: node.endLine - (prefix ? 1 : 0) }, filename);
    if (inst.kind === 'FROM' || inst.kind === 'ONBUILD' || inst.kind === 'MAINTAINER') {
      throw new DockerfileError(`${inst.kind} isn't allowed as an ONBUILD trigger`);
    }
    return inst;
  } catch (e) {
    if (!(e instanceof DockerfileError)) throw e;
    throw e.at({ file: filename, line, column: 1, source: text.split('\n')[0] });
  }
}
