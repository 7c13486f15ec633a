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

const PORT_RE = /^(\d+)(?:-(\d+))?(?:\/([A-Za-z]+))?$/;

/**
 * Returns a copy of `inst` with its expandable fields expanded in `env`.
 * Throws DockerfileError (with the instruction's location) on bad syntax.
 */
export function expandInstruction<T extends Instruction>(inst: T, env: Env, escapeToken = '\\', lines?: string[]): Expanded<T> {
  const used = new Set<string>();
  const unset = new Set<string>();
  const word = (w: string): string => {
    const r = processWord(w, env, { escapeToken });
    for (const v of r.matched) used.add(v);
    for (const v of r.unmatched) unset.add(v);
    return r.result;
  };
  const words = (w: string): string[] => {
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
        out = { ...i, args: i.args.map((a) => ({ key: word(a.key), value: opt(a.value) })) };
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
      case 'STOPSIGNAL':
        out = { ...i, signal: word(i.signal) };
        break;
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
      throw e.at({ file: inst.location.file, line, column: 1, source: lines?.[line - 1] });
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
 * ARG/ENV state while a stage is dispatched in order: ARGs are in scope from
 * their declaration, --build-arg overrides defaults, a global ARG redeclared
 * without value takes the global value, platform args need a declaration,
 * and ENV always beats ARG.
 */
export class StageEnv {
  private readonly env = new Map<string, string>();
  private readonly args = new Map<string, string | undefined>();
  private readonly init: StageEnvInit;
  /** expansionEnv() until the next ARG/ENV; callers must not mutate it. */
  private cached?: Map<string, string>;

  constructor(init: StageEnvInit = {}) {
    this.init = init;
    for (const [k, v] of init.imageEnv ?? []) this.env.set(k, v);
  }

  /** Variables for word expansion: declared ARGs with a value, overlaid by ENV (read-only). */
  expansionEnv(): Map<string, string> {
    if (this.cached) return this.cached;
    const m = new Map<string, string>();
    for (const [k, v] of this.args) if (v !== undefined) m.set(k, v);
    for (const [k, v] of this.env) m.set(k, v);
    this.cached = m;
    return m;
  }

  /** ENV only: what is stored in the image config. */
  imageEnv(): Map<string, string> {
    return new Map(this.env);
  }

  /**
   * What a RUN sees: ENV, plus declared ARGs with values, plus proxy build
   * args even when undeclared (but ENV wins).
   */
  runEnv(): Map<string, string> {
    const m = new Map<string, string>();
    for (const [k, v] of this.init.buildArgs ?? []) if (PROXY_ARGS.has(k)) m.set(k, v);
    for (const [k, v] of this.args) if (v !== undefined) m.set(k, v);
    for (const [k, v] of this.env) m.set(k, v);
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
        // Each ARG on the line sees the ones before it.
        const one = expandInstruction({ ...inst, args: [a] }, this.expansionEnv(), escape, this.init.lines);
        for (const v of one.used) used.add(v);
        for (const v of one.unset) unset.add(v);
        const d = one.instruction.args[0];
        let value = d.value;
        const fromBuild = this.init.buildArgs?.get(d.key);
        if (fromBuild !== undefined) value = fromBuild;
        else if (value === undefined && this.init.platformArgs?.has(d.key)) value = this.init.platformArgs.get(d.key);
        else if (value === undefined && this.init.globalArgs?.has(d.key)) value = this.init.globalArgs.get(d.key);
        this.args.set(d.key, value);
        this.cached = undefined;
        expandedArgs.push({ key: d.key, value });
      }
      return { instruction: { ...inst, args: expandedArgs } as T, used, unset };
    }
    if (inst.kind === 'ENV') {
      // All pairs see the environment from before the line (Docker: ENV abc=bye def=$abc gives def the old abc).
      const r = expandInstruction(inst, this.expansionEnv(), escape, this.init.lines);
      if (r.instruction.kind === 'ENV') for (const kv of r.instruction.pairs) this.env.set(kv.key, kv.value);
      this.cached = undefined;
      return r;
    }
    return expandInstruction(inst, this.expansionEnv(), escape, this.init.lines);
  }
}
