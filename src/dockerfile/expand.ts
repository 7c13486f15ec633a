// Expansion of one instruction given the environment at that point of the
// build, applied to exactly the fields Docker expands (ADD COPY ENV EXPOSE
// FROM LABEL STOPSIGNAL USER VOLUME WORKDIR, ONBUILD triggers when they run,
// and the flags of RUN/COPY/ADD). RUN/CMD/ENTRYPOINT/SHELL commands are left
// for the shell. Also StageEnv: ARG/ENV scoping for dispatching a stage in
// order, as BuildKit does.
import { DockerfileError } from './errors.js';
import type { Instruction } from './instructions.js';
import { parseMount } from './mounts.js';
import { processWord, type Env } from './shell.js';

export interface Expanded<T extends Instruction = Instruction> {
  instruction: T;
  /** Variables the instruction referenced that were set. */
  used: Set<string>;
  /** Variables it referenced that were not set. */
  unset: Set<string>;
}

// Linux signal names as moby/sys/signal knows them (without SIG), plus RTMIN+n / RTMAX-n.
const SIGNALS = new Set([
  'ABRT', 'ALRM', 'BUS', 'CHLD', 'CLD', 'CONT', 'FPE', 'HUP', 'ILL', 'INT', 'IO', 'IOT', 'KILL', 'PIPE', 'POLL', 'PROF', 'PWR', 'QUIT',
  'SEGV', 'STKFLT', 'STOP', 'SYS', 'TERM', 'TRAP', 'TSTP', 'TTIN', 'TTOU', 'URG', 'USR1', 'USR2', 'VTALRM', 'WINCH', 'XCPU', 'XFSZ',
  'RTMIN', 'RTMAX',
]);

/** STOPSIGNAL accepts a non-zero number or a signal name with or without SIG, any case. */
export function isValidSignal(s: string): boolean {
  if (/^[+-]?[0-9]+$/.test(s)) return Number(s) !== 0;
  const name = s.toUpperCase().replace(/^SIG/, '');
  if (SIGNALS.has(name)) return true;
  const rt = /^RTMIN\+([0-9]+)$|^RTMAX-([0-9]+)$/.exec(name);
  if (!rt) return false;
  const n = Number(rt[1] ?? rt[2]);
  return n >= 1 && n <= 15;
}

const PORT_RE = /^(\d+)(?:-(\d+))?(?:\/([A-Za-z]+))?$/;

/**
 * Returns a copy of `inst` with its expandable fields expanded in `env`.
 * Throws DockerfileError (with the instruction's location) on bad syntax.
 */
export function expandInstruction<T extends Instruction>(inst: T, env: Env, escapeToken = '\\', lines?: string[]): Expanded<T> {
  const used = new Set<string>();
  const unset = new Set<string>();
  let current = ''; // the word being expanded, to point the caret at it on error
  const word = (w: string): string => {
    current = w;
    const r = processWord(w, env, { escapeToken });
    for (const v of r.matched) used.add(v);
    for (const v of r.unmatched) unset.add(v);
    return r.result;
  };
  const words = (w: string): string[] => {
    current = w;
    const r = processWord(w, env, { escapeToken });
    for (const v of r.matched) used.add(v);
    for (const v of r.unmatched) unset.add(v);
    return r.words;
  };
  const heredocBody = (data: string): string => {
    const r = processWord(data, env, { escapeToken: '\\', skipProcessQuotes: true });
    for (const v of r.matched) used.add(v);
    for (const v of r.unmatched) unset.add(v);
    return r.result;
  };
  const opt = (w: string | undefined): string | undefined => (w === undefined ? undefined : word(w));
  try {
    const i = inst as Instruction;
    let out: Instruction;
    switch (i.kind) {
      case 'FROM':
        out = { ...i, image: word(i.image), platform: opt(i.platform) };
        break;
      case 'ENV':
        out = { ...i, pairs: i.pairs.map((p) => ({ key: word(p.key), value: word(p.value) })) };
        break;
      case 'LABEL':
        out = { ...i, pairs: i.pairs.map((p) => ({ key: word(p.key), value: word(p.value) })) };
        break;
      case 'ARG':
        out = { ...i, args: i.args.map((a) => ({ key: a.key, value: opt(a.value) })) };
        break;
      case 'COPY':
      case 'ADD': {
        const common = {
          sources: i.sources.map(word),
          dest: word(i.dest),
          inline: i.inline.map((f) => (f.expand ? { ...f, data: heredocBody(f.data) } : f)),
          chown: opt(i.chown),
          chmod: opt(i.chmod),
          exclude: i.exclude.map(word),
        };
        out = i.kind === 'COPY' ? { ...i, ...common, from: opt(i.from) } : { ...i, ...common, checksum: opt(i.checksum) };
        break;
      }
      case 'EXPOSE': {
        const ports = i.ports.flatMap(words);
        for (const p of ports) {
          const m = PORT_RE.exec(p);
          if (!m) throw new DockerfileError(`invalid containerPort: ${p}`, { hint: 'EXPOSE <port>[-<port>][/tcp|/udp|/sctp]' });
          if (m[3] && !['tcp', 'udp', 'sctp'].includes(m[3].toLowerCase())) throw new DockerfileError(`invalid proto: ${m[3]}`);
          if (Number(m[1]) > 65535 || (m[2] !== undefined && (Number(m[2]) > 65535 || Number(m[2]) < Number(m[1])))) {
            throw new DockerfileError(`invalid port range: ${p}`);
          }
        }
        out = { ...i, ports };
        break;
      }
      case 'VOLUME': {
        const paths = i.paths.map(word);
        if (paths.some((p) => p.trim() === '')) throw new DockerfileError('VOLUME specified can not be an empty string');
        out = { ...i, paths };
        break;
      }
      case 'USER':
        out = { ...i, user: word(i.user) };
        break;
      case 'WORKDIR':
        out = { ...i, path: word(i.path) };
        break;
      case 'STOPSIGNAL': {
        const signal = word(i.signal);
        if (!isValidSignal(signal)) throw new DockerfileError(`Invalid signal: ${signal}`, { hint: 'use a name such as SIGTERM, SIGINT, SIGQUIT or a number' });
        out = { ...i, signal };
        break;
      }
      case 'RUN':
        out = { ...i, mounts: i.mountSpecs.map((m) => parseMount(m, word)) };
        break;
      default:
        // RUN/CMD/ENTRYPOINT/SHELL/HEALTHCHECK/MAINTAINER are not expanded;
        // ONBUILD triggers are expanded when they run in the child build.
        out = i;
    }
    return { instruction: out as T, used, unset };
  } catch (e) {
    if (e instanceof DockerfileError) {
      const line = inst.location.startLine;
      // Point at the word when it appears on one of the instruction's lines.
      let at = line;
      let column = 1;
      for (let n = line; lines && current && n <= inst.location.endLine; n++) {
        const idx = (lines[n - 1] ?? '').indexOf(current);
        if (idx >= 0) {
          at = n;
          column = idx + 1;
          break;
        }
      }
      throw e.at({ file: inst.location.file, line: at, column, source: lines?.[at - 1] });
    }
    throw e;
  }
}

/** Build args Docker predefines: usable without ARG, kept out of the image history. */
export const PROXY_ARGS: ReadonlySet<string> = new Set([
  'HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy',
]);

export interface StageEnvInit {
  /** The base image's Env (KEY=VALUE), or the parent stage's final ENV. */
  imageEnv?: Iterable<[string, string]>;
  /** Values of the global ARGs (after --build-arg), by name; undefined = declared without value. */
  globalArgs?: ReadonlyMap<string, string | undefined>;
  /** --build-arg values. */
  buildArgs?: ReadonlyMap<string, string>;
  /** Automatic platform args (TARGETPLATFORM …) for this stage. */
  platformArgs?: ReadonlyMap<string, string>;
  escapeToken?: string;
  lines?: string[];
}

/**
 * ARG/ENV state while a stage is dispatched in order, as BuildKit keeps it:
 * one environment that both ENV and ARG (with a value) write to, last
 * writer wins (so an ENV after an ARG of the same name overrides it), and
 * the image's Env that only ENV writes. --build-arg beats an ARG default, a
 * global ARG redeclared without value takes the global value, platform args
 * need a declaration, and an ARG without any value is declared but unset.
 */
export class StageEnv {
  /** What word expansion and RUN see. */
  private readonly scope = new Map<string, string>();
  /** The image config's Env (ENV only). */
  private readonly env = new Map<string, string>();
  private readonly args = new Map<string, string | undefined>();
  private readonly init: StageEnvInit;

  constructor(init: StageEnvInit = {}) {
    this.init = init;
    for (const [k, v] of init.imageEnv ?? []) {
      this.env.set(k, v);
      this.scope.set(k, v);
    }
  }

  /** Variables for word expansion (read-only view; it changes as ARG/ENV are applied). */
  expansionEnv(): ReadonlyMap<string, string> {
    return this.scope;
  }

  /** ENV only: what is stored in the image config. */
  imageEnv(): Map<string, string> {
    return new Map(this.env);
  }

  /** What a RUN sees: the scope, plus proxy build args even when undeclared (kept out of history). */
  runEnv(): Map<string, string> {
    const m = new Map<string, string>();
    for (const [k, v] of this.init.buildArgs ?? []) if (PROXY_ARGS.has(k)) m.set(k, v);
    for (const [k, v] of this.scope) m.set(k, v);
    return m;
  }

  /** ARGs declared so far in this stage and their values. */
  declaredArgs(): Map<string, string | undefined> {
    return new Map(this.args);
  }

  /**
   * Expands `inst` in the current scope and applies it (ARG declares, ENV
   * sets). Call once per instruction, in order.
   */
  apply<T extends Instruction>(inst: T): Expanded<T> {
    const escape = this.init.escapeToken ?? '\\';
    if (inst.kind === 'ARG') {
      const used = new Set<string>();
      const unset = new Set<string>();
      const expandedArgs = [];
      for (const a of inst.args) {
        // Each ARG on the line sees the ones before it; a --build-arg value is taken as is.
        let value: string | undefined;
        const fromBuild = this.init.buildArgs?.get(a.key);
        if (fromBuild !== undefined) value = fromBuild;
        else if (a.value !== undefined) {
          const one = expandInstruction({ ...inst, args: [a] }, this.scope, escape, this.init.lines);
          for (const v of one.used) used.add(v);
          for (const v of one.unset) unset.add(v);
          value = one.instruction.args[0].value;
        } else if (this.init.platformArgs?.has(a.key)) value = this.init.platformArgs.get(a.key);
        else if (this.init.globalArgs?.has(a.key)) value = this.init.globalArgs.get(a.key);
        this.args.set(a.key, value);
        if (value !== undefined) this.scope.set(a.key, value);
        expandedArgs.push({ key: a.key, value });
      }
      return { instruction: { ...inst, args: expandedArgs } as T, used, unset };
    }
    if (inst.kind === 'ENV') {
      // All pairs see the environment from before the line (Docker: ENV abc=bye def=$abc gives def the old abc).
      const r = expandInstruction(inst, this.scope, escape, this.init.lines);
      if (r.instruction.kind === 'ENV') {
        for (const kv of r.instruction.pairs) {
          this.env.set(kv.key, kv.value);
          this.scope.set(kv.key, kv.value);
        }
      }
      return r;
    }
    return expandInstruction(inst, this.scope, escape, this.init.lines);
  }
}
