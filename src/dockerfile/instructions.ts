// Typed instructions from AST nodes: argument counts, flags, JSON vs shell
// form, heredocs, mounts. Values stay unexpanded here (expansion depends on
// ARG/ENV state at build time; see expand.ts).
import { chompHeredocContent, parseHeredoc, type Heredoc, type Node } from './ast.js';
import { DockerfileError } from './errors.js';
import { parseFlags, parseGoDuration, type FlagKind, type ParsedFlags } from './flags.js';
import { parseMount, type Mount } from './mounts.js';
import { suggest } from './suggest.js';

export interface Location {
  file: string;
  /** 1-based, inclusive; covers continuation lines and heredoc bodies. */
  startLine: number;
  endLine: number;
}

interface Base {
  /** The keyword as written (`run`, `RUN`). */
  keyword: string;
  /** The instruction with continuation lines joined (heredoc bodies not included). */
  original: string;
  location: Location;
  /** Flags as written, e.g. `--from=build`. */
  flags: string[];
  /** Comment lines right above the instruction. */
  comments: string[];
}

export interface KeyValue {
  key: string;
  value: string;
}

export interface ArgDecl {
  key: string;
  /** The default, unexpanded; undefined for `ARG name`. */
  value?: string;
}

/** An inline file from a heredoc (COPY/ADD sources, RUN scripts). */
export interface InlineFile {
  name: string;
  /** The body; for `<<-` with leading tabs already removed. */
  data: string;
  /** Expand variables in the body (delimiter not quoted). */
  expand: boolean;
  chomp: boolean;
  fileDescriptor: number;
}

export type NetworkMode = 'default' | 'none' | 'host';
export type SecurityMode = 'sandbox' | 'insecure';

export interface FromInstruction extends Base {
  kind: 'FROM';
  image: string;
  /** Lower-cased stage name from `AS name`. */
  stageName?: string;
  /** The name as written. */
  stageNameRaw?: string;
  /** The `AS` keyword as written (for FromAsCasing). */
  asKeyword?: string;
  platform?: string;
}
export interface RunInstruction extends Base {
  kind: 'RUN';
  /** JSON form: argv; shell form: one string for the shell. */
  command: string[];
  /** True when the command was a JSON array (no shell prepended). */
  json: boolean;
  heredocs: InlineFile[];
  /** Raw --mount values (expanded again at dispatch). */
  mountSpecs: string[];
  /** Mounts as parsed from the raw values. */
  mounts: Mount[];
  network?: NetworkMode;
  security?: SecurityMode;
}
export interface CmdInstruction extends Base {
  kind: 'CMD';
  command: string[];
  json: boolean;
}
export interface EntrypointInstruction extends Base {
  kind: 'ENTRYPOINT';
  command: string[];
  json: boolean;
}
export interface ShellInstruction extends Base {
  kind: 'SHELL';
  shell: string[];
}
export interface EnvInstruction extends Base {
  kind: 'ENV';
  pairs: KeyValue[];
  /** `ENV key value` (one pair, value is the rest of the line). */
  legacy: boolean;
}
export interface LabelInstruction extends Base {
  kind: 'LABEL';
  pairs: KeyValue[];
  legacy: boolean;
}
export interface ArgInstruction extends Base {
  kind: 'ARG';
  args: ArgDecl[];
}
export interface ExposeInstruction extends Base {
  kind: 'EXPOSE';
  ports: string[];
}
export interface CopyInstruction extends Base {
  kind: 'COPY';
  sources: string[];
  inline: InlineFile[];
  dest: string;
  from?: string;
  chown?: string;
  chmod?: string;
  link: boolean;
  parents: boolean;
  exclude: string[];
  json: boolean;
}
export interface AddInstruction extends Base {
  kind: 'ADD';
  sources: string[];
  inline: InlineFile[];
  dest: string;
  chown?: string;
  chmod?: string;
  link: boolean;
  keepGitDir: boolean;
  checksum?: string;
  unpack?: boolean;
  exclude: string[];
  json: boolean;
}
export interface VolumeInstruction extends Base {
  kind: 'VOLUME';
  paths: string[];
  json: boolean;
}
export interface UserInstruction extends Base {
  kind: 'USER';
  user: string;
}
export interface WorkdirInstruction extends Base {
  kind: 'WORKDIR';
  path: string;
}
export interface OnbuildInstruction extends Base {
  kind: 'ONBUILD';
  /** The trigger as stored in the image config (e.g. `RUN echo hi`). */
  expression: string;
  trigger: Instruction;
}
export interface StopsignalInstruction extends Base {
  kind: 'STOPSIGNAL';
  signal: string;
}
export interface HealthcheckInstruction extends Base {
  kind: 'HEALTHCHECK';
  /** ["NONE"], ["CMD", ...argv] or ["CMD-SHELL", command] as in the image config. */
  test: string[];
  /** Durations in nanoseconds (0 = default), as the image config stores them. */
  interval: number;
  timeout: number;
  startPeriod: number;
  startInterval: number;
  retries: number;
}
export interface MaintainerInstruction extends Base {
  kind: 'MAINTAINER';
  maintainer: string;
}

export type Instruction =
  | FromInstruction | RunInstruction | CmdInstruction | EntrypointInstruction | ShellInstruction | EnvInstruction
  | LabelInstruction | ArgInstruction | ExposeInstruction | CopyInstruction | AddInstruction | VolumeInstruction
  | UserInstruction | WorkdirInstruction | OnbuildInstruction | StopsignalInstruction | HealthcheckInstruction
  | MaintainerInstruction;

export type InstructionKind = Instruction['kind'];

export const INSTRUCTION_NAMES: readonly InstructionKind[] = [
  'ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL', 'MAINTAINER', 'ONBUILD',
  'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR',
];

/** The flags each instruction accepts. */
export const INSTRUCTION_FLAGS: Record<InstructionKind, Record<string, FlagKind>> = {
  FROM: { platform: 'string' },
  RUN: { mount: 'strings', network: 'string', security: 'string' },
  CMD: {},
  ENTRYPOINT: {},
  SHELL: {},
  ENV: {},
  LABEL: {},
  ARG: {},
  EXPOSE: {},
  COPY: { from: 'string', chown: 'string', chmod: 'string', link: 'bool', parents: 'bool', exclude: 'strings' },
  ADD: { chown: 'string', chmod: 'string', link: 'bool', 'keep-git-dir': 'bool', checksum: 'string', exclude: 'strings', unpack: 'bool' },
  VOLUME: {},
  USER: {},
  WORKDIR: {},
  ONBUILD: {},
  STOPSIGNAL: {},
  HEALTHCHECK: { interval: 'string', timeout: 'string', 'start-period': 'string', 'start-interval': 'string', retries: 'string' },
  MAINTAINER: {},
};

const STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;
const MIN_DURATION_NS = 1e6;

/** Flat argument list of a node (ONBUILD's sub-command contributes its keyword and args). */
function nodeArgs(node: Node): string[] {
  const out: string[] = [];
  for (let n = node.next; n; n = n.next) {
    if (n.children.length === 0) out.push(n.value);
    else if (n.children.length === 1) out.push(n.children[0].value, ...nodeArgs(n.children[0]));
  }
  return out;
}

function atLeastOne(name: string): DockerfileError {
  return new DockerfileError(`${name} requires at least one argument`);
}
function exactlyOne(name: string): DockerfileError {
  return new DockerfileError(`${name} requires exactly one argument`);
}

function inlineFiles(heredocs: Heredoc[]): InlineFile[] {
  return heredocs.map((h) => ({
    name: h.name,
    data: h.chomp ? chompHeredocContent(h.content) : h.content,
    expand: h.expand,
    chomp: h.chomp,
    fileDescriptor: h.fileDescriptor,
  }));
}

/** Converts one AST node to a typed instruction; errors carry no location yet. */
export function instructionFromNode(node: Node, file: string): Instruction {
  const kind = node.value.toUpperCase() as InstructionKind;
  if (!INSTRUCTION_NAMES.includes(kind)) {
    // `CMD["node", "x"]`: the keyword glued to its JSON array.
    const glued = /^([A-Za-z]+)\[/.exec(node.value);
    if (glued && INSTRUCTION_NAMES.includes(glued[1].toUpperCase() as InstructionKind)) {
      throw new DockerfileError(`unknown instruction: ${node.value}`, { hint: `put a space between ${glued[1]} and [` });
    }
    const s = suggest(node.value, INSTRUCTION_NAMES);
    throw new DockerfileError(`unknown instruction: ${node.value}${s ? ` (did you mean ${s}?)` : ''}`, {
      hint: s ? `did you mean ${s}?` : `instructions are ${INSTRUCTION_NAMES.join(', ')}`,
    });
  }
  const args = nodeArgs(node);
  const base: Base = {
    keyword: node.value,
    original: node.original,
    location: { file, startLine: node.startLine, endLine: node.endLine },
    flags: node.flags,
    comments: node.comments,
  };
  const flags = (): ParsedFlags => parseFlags(kind, node.flags, INSTRUCTION_FLAGS[kind]);

  switch (kind) {
    case 'FROM': {
      const f = flags();
      let stageName: string | undefined;
      if (args.length === 3 && args[1].toLowerCase() === 'as') {
        stageName = args[2].toLowerCase();
        if (!STAGE_NAME.test(stageName)) {
          throw new DockerfileError(`invalid name for build stage: "${args[2]}", name can't start with a number or contain symbols`);
        }
      } else if (args.length !== 1) {
        throw new DockerfileError('FROM requires either one or three arguments', { hint: 'FROM [--platform=<platform>] <image> [AS <name>]' });
      }
      return {
        keyword: base.keyword, original: base.original, location: base.location, flags: base.flags, comments: base.comments, kind, image: args[0], stageName, stageNameRaw: stageName ? args[2] : undefined,
        asKeyword: stageName ? args[1] : undefined, platform: f.string('platform'),
      };
    }
    case 'RUN': {
      const f = flags();
      const mountSpecs = f.strings('mount');
      const mounts = mountSpecs.map((m) => parseMount(m));
      const network = f.string('network');
      if (network !== undefined && !['default', 'none', 'host'].includes(network)) {
        throw new DockerfileError(`unsupported network mode "${network}"`, { hint: '--network is one of default, none, host' });
      }
      const security = f.string('security');
      if (security !== undefined && !['sandbox', 'insecure'].includes(security)) {
        throw new DockerfileError(`unsupported security mode "${security}"`, { hint: '--security is one of sandbox, insecure' });
      }
      return {
        keyword: base.keyword, original: base.original, location: base.location, flags: base.flags, comments: base.comments, kind, command: args, json: node.json, heredocs: inlineFiles(node.heredocs), mountSpecs, mounts,
        network: network as NetworkMode | undefined, security: security as SecurityMode | undefined,
      };
    }
    case 'CMD':
      flags();
      return { keyword: base.keyword, original: base.original, location: base.location, flags: base.flags, comments: base.comments, kind, command: args, json: node.json };
    case 'ENTRYPOINT':
      flags();
      return { keyword: base.keyword, original: base.original, location: base.location, flags: base.flags, comments: base.comments, kind, command: args, json: node.json };
    case 'SHELL':
      flags();
      if (!node.json) throw new DockerfileError('SHELL requires the arguments to be in JSON form', { hint: 'SHELL ["/bin/sh", "-c"]' });
      if (args.length === 0) throw new DockerfileError('SHELL requires at least one argument');
      return { keyword: base.keyword, original: base.original, location: base.location, flags: base.flags, comments: base.comments, kind, shell: args };
    case 'ENV':
    case 'LABEL': {
      flags();
      if (args.length === 0) throw atLeastOne(kind);
      const pairs: KeyValue[] = [];
      for (let i = 0; i < args.length; i += 3) {
        if (args[i] === '') throw new DockerfileError(`${kind} names can not be blank`);
        pairs.push({ key: args[i], value: args[i + 1] ?? '' });
      }
      const legacy = args[2] === '';
      return kind === 'ENV' ? { keyword: base.keyword, original: base.original, location: base.location, flags: base.flags, comments: base.comments, kind, pairs, legacy } : { keyword: base.keyword, original: base.original, location: base.location, flags: base.flags, comments: base.comments, kind, pairs, legacy };
    }
    case 'ARG': {
      flags();
      if (args.length === 0) throw atLeastOne('ARG');
      return {
        keyword: base.keyword, original: base.original, location: base.location, flags: base.flags, comments: base.comments, kind,
        args: args.map((a) => {
          const eq = a.indexOf('=');
          if (eq === 0) throw new DockerfileError('ARG names can not be blank');
          return eq < 0 ? { key: a } : { key: a.slice(0, eq), value: a.slice(eq + 1) };
        }),
      };
    }
    case 'EXPOSE':
      flags();
      if (args.length === 0) throw atLeastOne('EXPOSE');
      return { keyword: base.keyword, original: base.original, location: base.location, flags: base.flags, comments: base.comments, kind, ports: args };
    case 'COPY':
    case 'ADD': {
      if (args.length < 2) {
        throw new DockerfileError(`${kind} requires at least two arguments, but only one was provided. Destination could not be determined`);
      }
      const f = flags();
      const dest = args[args.length - 1];
      if (parseHeredoc(dest)) throw new DockerfileError(`${kind} cannot accept a heredoc as a destination`);
      const byName = new Map(inlineFiles(node.heredocs).map((h) => [h.name, h]));
      const sources: string[] = [];
      const inline: InlineFile[] = [];
      for (const src of args.slice(0, -1)) {
        const h = node.json ? undefined : parseHeredoc(src);
        const file = h ? byName.get(h.name) : undefined;
        if (h && file) inline.push(file);
        else sources.push(src);
      }
      // Written out field by field: object spread is the hot spot when parsing large files.
      if (kind === 'COPY') {
        return {
          keyword: base.keyword, original: base.original, location: base.location, flags: base.flags, comments: base.comments, kind,
          sources, inline, dest, chown: f.string('chown'), chmod: f.string('chmod'), link: f.bool('link'), exclude: f.strings('exclude'),
          json: node.json, from: f.string('from'), parents: f.bool('parents'),
        };
      }
      return {
        keyword: base.keyword, original: base.original, location: base.location, flags: base.flags, comments: base.comments, kind,
        sources, inline, dest, chown: f.string('chown'), chmod: f.string('chmod'), link: f.bool('link'), exclude: f.strings('exclude'),
        json: node.json, keepGitDir: f.bool('keep-git-dir'), checksum: f.string('checksum'),
        unpack: f.used.includes('unpack') ? f.bool('unpack') : undefined,
      };
    }
    case 'VOLUME':
      flags();
      if (args.length === 0) throw atLeastOne('VOLUME');
      return { keyword: base.keyword, original: base.original, location: base.location, flags: base.flags, comments: base.comments, kind, paths: args, json: node.json };
    case 'USER':
      flags();
      if (args.length !== 1) throw exactlyOne('USER');
      return { keyword: base.keyword, original: base.original, location: base.location, flags: base.flags, comments: base.comments, kind, user: args[0] };
    case 'WORKDIR':
      flags();
      if (args.length !== 1) throw exactlyOne('WORKDIR');
      return { keyword: base.keyword, original: base.original, location: base.location, flags: base.flags, comments: base.comments, kind, path: args[0] };
    case 'STOPSIGNAL':
      flags();
      if (args.length !== 1) throw exactlyOne('STOPSIGNAL');
      return { keyword: base.keyword, original: base.original, location: base.location, flags: base.flags, comments: base.comments, kind, signal: args[0] };
    case 'MAINTAINER':
      flags();
      if (args.length !== 1) throw exactlyOne('MAINTAINER');
      return { keyword: base.keyword, original: base.original, location: base.location, flags: base.flags, comments: base.comments, kind, maintainer: args[0] };
    case 'ONBUILD': {
      flags();
      if (args.length === 0 || !node.next || node.next.children.length !== 1) throw atLeastOne('ONBUILD');
      const trig = args[0].trim().toUpperCase();
      if (trig === 'ONBUILD') throw new DockerfileError('Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
      if (trig === 'MAINTAINER' || trig === 'FROM') throw new DockerfileError(`${trig} isn't allowed as an ONBUILD trigger`);
      const child = node.next.children[0];
      const trigger = instructionFromNode({ ...child, startLine: node.startLine, endLine: node.endLine, heredocs: node.heredocs }, file);
      let expression = node.original.replace(/^\s*ONBUILD\s*/i, '');
      for (const h of node.heredocs) expression += '\n' + h.content + h.name;
      return { keyword: base.keyword, original: base.original, location: base.location, flags: base.flags, comments: base.comments, kind, expression, trigger };
    }
    case 'HEALTHCHECK':
      return parseHealthcheck(base, node, args, flags);
  }
}

function parseHealthcheck(base: Base, node: Node, args: string[], flags: () => ParsedFlags): HealthcheckInstruction {
  if (args.length === 0) throw atLeastOne('HEALTHCHECK');
  const typ = args[0].toUpperCase();
  const rest = args.slice(1);
  const hc: HealthcheckInstruction = { keyword: base.keyword, original: base.original, location: base.location, flags: base.flags, comments: base.comments, kind: 'HEALTHCHECK', test: [], interval: 0, timeout: 0, startPeriod: 0, startInterval: 0, retries: 0 };
  if (typ === 'NONE') {
    if (rest.length !== 0) throw new DockerfileError('HEALTHCHECK NONE takes no arguments');
    hc.test = ['NONE'];
    return hc;
  }
  const f = flags();
  if (typ !== 'CMD') throw new DockerfileError(`Unknown type "${typ}" in HEALTHCHECK (try CMD)`, { hint: 'HEALTHCHECK [OPTIONS] CMD command, or HEALTHCHECK NONE' });
  if (rest.length === 0) throw new DockerfileError('Missing command after HEALTHCHECK CMD');
  hc.test = node.json ? ['CMD', ...rest] : ['CMD-SHELL', ...rest];
  const interval = (name: string): number => {
    const v = f.string(name);
    if (v === undefined || v === '') return 0;
    const ns = parseGoDuration(v);
    if (ns === undefined) throw new DockerfileError(`time: invalid duration ${JSON.stringify(v)}`, { hint: 'durations look like 30s, 1m30s, 500ms' });
    if (ns === 0) return 0;
    if (ns < MIN_DURATION_NS) throw new DockerfileError(`Interval "${name}" cannot be less than 1ms`);
    return ns;
  };
  hc.interval = interval('interval');
  hc.timeout = interval('timeout');
  hc.startPeriod = interval('start-period');
  hc.startInterval = interval('start-interval');
  const r = f.string('retries');
  if (r !== undefined && r !== '') {
    if (!/^[+-]?[0-9]+$/.test(r) || Math.abs(Number(r)) > 2 ** 31 - 1) {
      throw new DockerfileError(`strconv.ParseInt: parsing ${JSON.stringify(r)}: invalid syntax`, { hint: '--retries takes a whole number' });
    }
    const n = Number(r);
    if (n < 0) throw new DockerfileError(`--retries cannot be negative (${n})`);
    hc.retries = n;
  }
  return hc;
}
