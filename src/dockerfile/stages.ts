// The stage graph: which stages a build needs for its target, in dependency
// order, with the stage each one depends on (FROM <stage>, COPY --from,
// RUN --mount=from=), the base images to pull, the global ARG values, and
// build args that nothing consumed.
import { DockerfileError } from './errors.js';
import { PROXY_ARGS, StageEnv } from './expand.js';
import type { Instruction } from './instructions.js';
import type { Dockerfile, Stage } from './parse.js';
import { hostPlatform, parsePlatform, platformArgs, type Platform } from './platform.js';
import { processWord } from './shell.js';
import { suggest } from './suggest.js';

export interface ResolveOptions {
  /** Stage name or index to build; default the last stage. */
  target?: string;
  buildArgs?: ReadonlyMap<string, string> | Readonly<Record<string, string>>;
  platform?: { build?: string | Platform; target?: string | Platform };
}

export type DependencyKind = 'from' | 'copy' | 'mount';

export interface StageDependency {
  kind: DependencyKind;
  /** Index of the stage depended on, or undefined for an image/the context. */
  stage?: number;
  /** The image reference when the reference is not a stage. */
  image?: string;
  /** The reference after expansion (`build`, `0`, `alpine:3.20`). */
  ref: string;
  /** The instruction that made the dependency (the FROM for kind "from"). */
  instruction: Instruction;
}

export interface ResolvedStage {
  stage: Stage;
  index: number;
  name?: string;
  /** The FROM reference after expanding global ARGs. */
  baseRef: string;
  /** Set when FROM names an earlier or later stage. */
  baseStage?: number;
  /** True for FROM scratch. */
  scratch: boolean;
  /** The stage's platform: FROM --platform (expanded) or the target platform. */
  platform: Platform;
  /** Automatic platform args (the build's, whatever the stage's own platform). */
  platformArgs: Map<string, string>;
  deps: StageDependency[];
  /** Indexes of the stages this one needs (unique, sorted). */
  dependsOn: number[];
}

export interface ResolvedBuild {
  target: ResolvedStage;
  /** The stages the target needs, dependencies first, target last. */
  stages: ResolvedStage[];
  /** Every stage, resolved, by index (pruned ones included). */
  all: ResolvedStage[];
  /** Stages the target does not need. */
  pruned: Stage[];
  /** Global ARG values after --build-arg (undefined: declared without a value). */
  globalArgs: Map<string, string | undefined>;
  buildPlatform: Platform;
  targetPlatform: Platform;
  /** Build args no reachable stage or global ARG declares (proxy args excepted). */
  unusedBuildArgs: string[];
  /** Messages such as BuildKit's "One or more build-args […] were not consumed". */
  warnings: string[];
  /** Images (not stages) the reachable stages need, in first-use order. */
  images: string[];
}

function toMap(m: ResolveOptions['buildArgs']): Map<string, string> {
  if (!m) return new Map();
  if (m instanceof Map) return new Map(m);
  return new Map(Object.entries(m as Record<string, string>));
}

function asPlatform(p: string | Platform | undefined, dflt: Platform): Platform {
  if (p === undefined) return dflt;
  return typeof p === 'string' ? parsePlatform(p) : p;
}

function locate(df: Dockerfile, inst: Instruction, column = 1): { file: string; line: number; column: number; source?: string } {
  const line = inst.location.startLine;
  return { file: df.filename, line, column, source: df.lines[line - 1] };
}

/** Global ARG values in order; each default sees the platform args and the ARGs before it. */
export function resolveGlobalArgs(df: Dockerfile, buildArgs: ReadonlyMap<string, string>, pargs: ReadonlyMap<string, string>): Map<string, string | undefined> {
  const values = new Map<string, string | undefined>();
  for (const inst of df.globalArgs) {
    for (const a of inst.args) {
      const env = new Map(pargs);
      for (const [k, v] of values) if (v !== undefined) env.set(k, v);
      let value: string | undefined;
      try {
        value = buildArgs.get(a.key) ?? (a.value === undefined ? undefined : processWord(a.value, env, { escapeToken: df.escapeToken }).result);
        values.set(a.key, value);
      } catch (e) {
        throw e instanceof DockerfileError ? e.at(locate(df, inst)) : e;
      }
    }
  }
  return values;
}

export function resolveStages(df: Dockerfile, opts: ResolveOptions = {}): ResolvedBuild {
  const buildArgs = toMap(opts.buildArgs);
  const host = hostPlatform();
  const buildPlatform = asPlatform(opts.platform?.build, host);
  const targetPlatform = asPlatform(opts.platform?.target, buildPlatform);
  const defaultPargs = platformArgs(buildPlatform, targetPlatform);
  const globalArgs = resolveGlobalArgs(df, buildArgs, defaultPargs);
  const metaEnv = new Map(defaultPargs);
  for (const [k, v] of globalArgs) if (v !== undefined) metaEnv.set(k, v);

  // Names first, so FROM/--from can refer to any stage.
  const byName = new Map<string, number>();
  for (const s of df.stages) {
    if (!s.name) continue;
    if (byName.has(s.name)) {
      throw new DockerfileError(`duplicate stage name "${s.name}"`, { hint: 'stage names must be unique' }).at(locate(df, s.from));
    }
    byName.set(s.name, s.index);
  }

  const all: ResolvedStage[] = df.stages.map((s) => {
    let baseRef: string;
    let platform = targetPlatform;
    try {
      baseRef = processWord(s.image, metaEnv, { escapeToken: df.escapeToken }).result;
      if (s.platform !== undefined) {
        const p = processWord(s.platform, metaEnv, { escapeToken: df.escapeToken }).result;
        platform = parsePlatform(p);
      }
    } catch (e) {
      throw e instanceof DockerfileError ? e.at(locate(df, s.from)) : e;
    }
    if (baseRef === '') {
      throw new DockerfileError(`base name (${s.image}) should not be blank`, { hint: 'give the ARG used in FROM a default or pass --build-arg' }).at(locate(df, s.from));
    }
    // As in BuildKit, FROM names only a stage defined above it, spelled as the stage's (lower-case)
    // name: `FROM node AS node` builds on the image, not on itself.
    const named = byName.get(baseRef);
    const baseStage = named !== undefined && named < s.index ? named : undefined;
    const scratch = baseStage === undefined && baseRef === 'scratch';
    // TARGET* stay the build's target even in a FROM --platform=$BUILDPLATFORM stage (cross-compiling).
    const pargs = defaultPargs;
    const deps: StageDependency[] = [
      baseStage !== undefined
        ? { kind: 'from', stage: baseStage, ref: baseRef, instruction: s.from }
        : { kind: 'from', image: scratch ? undefined : baseRef, ref: baseRef, instruction: s.from },
    ];
    collectDeps(df, s, { buildArgs, globalArgs, pargs, byName, deps });
    const dependsOn = [...new Set(deps.filter((d) => d.stage !== undefined).map((d) => d.stage as number))].sort((a, b) => a - b);
    return { stage: s, index: s.index, name: s.name, baseRef, baseStage, scratch, platform, platformArgs: pargs, deps, dependsOn };
  });

  // The target, then everything it reaches (dependencies first).
  let targetIndex = df.stages.length - 1;
  if (opts.target !== undefined && opts.target !== '') {
    const t = byName.get(opts.target.toLowerCase());
    if (t === undefined) {
      const s = suggest(opts.target, byName.keys());
      throw new DockerfileError(`target stage "${opts.target}" could not be found`, {
        hint: s ? `did you mean "${s}"?` : byName.size ? `stages: ${[...byName.keys()].join(', ')}` : 'the Dockerfile has no named stages (use FROM … AS name)',
      });
    }
    targetIndex = t;
  }
  const order: ResolvedStage[] = [];
  const state = new Map<number, 'visiting' | 'done'>();
  const visit = (i: number): void => {
    const st = state.get(i);
    if (st === 'done') return;
    const rs = all[i];
    if (st === 'visiting') {
      throw new DockerfileError(`circular dependency detected on stage: ${rs.name ?? i}`, {
        hint: 'a stage cannot (indirectly) copy from or build on itself',
      }).at(locate(df, rs.stage.from));
    }
    state.set(i, 'visiting');
    for (const d of rs.dependsOn) visit(d);
    state.set(i, 'done');
    order.push(rs);
  };
  // Every stage is checked for self-references (BuildKit validates them all) …
  for (const rs of all) {
    const self = rs.deps.find((d) => d.kind !== 'from' && d.stage === rs.index);
    if (self) {
      throw new DockerfileError(`circular dependency detected on stage: ${rs.name ?? rs.index}`, {
        hint: 'a stage cannot copy or mount from itself',
      }).at(locate(df, self.instruction));
    }
  }
  visit(targetIndex);
  const reached = new Set(order.map((r) => r.index));
  // … and a stage that is built may only use stages defined above it.
  for (const rs of order) {
    for (const d of rs.deps) {
      if (d.kind === 'from' || d.stage === undefined || d.stage < rs.index) continue;
      const what = d.kind === 'copy' ? 'copy from' : 'mount from';
      throw new DockerfileError(
        `cannot ${what} stage "${d.ref}", it needs to be defined before current stage "${rs.name ?? `stage-${rs.index}`}"`,
        { hint: `move the stage "${d.ref}" above this one` },
      ).at(locate(df, d.instruction));
    }
  }
  const pruned = df.stages.filter((s) => !reached.has(s.index));

  // Build args: consumed when a global ARG or an ARG in a reachable stage declares them.
  const declared = new Set<string>(globalArgs.keys());
  for (const r of order) for (const inst of r.stage.instructions) if (inst.kind === 'ARG') for (const a of inst.args) declared.add(a.key);
  // BuildKit's own knobs (BUILDKIT_*, SOURCE_DATE_EPOCH) are read by the builder, not by ARG.
  const special = (k: string): boolean => PROXY_ARGS.has(k) || k.startsWith('BUILDKIT_') || k === 'SOURCE_DATE_EPOCH';
  const unusedBuildArgs = [...buildArgs.keys()].filter((k) => !declared.has(k) && !special(k)).sort();
  const warnings = unusedBuildArgs.length ? [`[Warning] One or more build-args [${unusedBuildArgs.join(' ')}] were not consumed`] : [];

  const images: string[] = [];
  for (const r of order) for (const d of r.deps) if (d.image && !images.includes(d.image)) images.push(d.image);

  return {
    target: all[targetIndex], stages: order, all, pruned, globalArgs, buildPlatform, targetPlatform, unusedBuildArgs, warnings, images,
  };
}

interface DepCtx {
  buildArgs: Map<string, string>;
  globalArgs: Map<string, string | undefined>;
  pargs: Map<string, string>;
  byName: Map<string, number>;
  deps: StageDependency[];
}

/** COPY --from and RUN --mount from=, expanded with the stage's ARG/ENV as far as it is known statically. */
function collectDeps(df: Dockerfile, s: Stage, ctx: DepCtx): void {
  // Simulating ARG/ENV is only needed when some reference uses a variable.
  const dynamic = s.instructions.some((i) =>
    (i.kind === 'COPY' && i.from?.includes('$')) || (i.kind === 'RUN' && i.mounts.some((m) => (m.type === 'bind' || m.type === 'cache') && m.from?.includes('$'))));
  const scope = dynamic ? new StageEnv({ globalArgs: ctx.globalArgs, buildArgs: ctx.buildArgs, platformArgs: ctx.pargs, escapeToken: df.escapeToken }) : undefined;
  const refOf = (raw: string, inst: Instruction, kind: DependencyKind): void => {
    let ref = raw;
    try {
      if (scope) ref = processWord(raw, scope.expansionEnv(), { escapeToken: df.escapeToken }).result;
    } catch {
      // The builder reports the expansion error when it dispatches this instruction.
    }
    const byName = ctx.byName.get(ref.toLowerCase());
    if (byName !== undefined) {
      ctx.deps.push({ kind, stage: byName, ref, instruction: inst });
      return;
    }
    // COPY --from takes a stage index too; RUN --mount from= only names (BuildKit treats "1" there as an image).
    if (kind === 'copy' && /^[0-9]+$/.test(ref)) {
      const idx = Number(ref);
      if (idx >= df.stages.length) {
        throw new DockerfileError(`invalid stage index ${idx}`, { hint: `stages are numbered 0 to ${df.stages.length - 1}` }).at(locate(df, inst));
      }
      ctx.deps.push({ kind, stage: idx, ref, instruction: inst });
      return;
    }
    ctx.deps.push({ kind, image: ref, ref, instruction: inst });
  };
  for (const inst of s.instructions) {
    if (inst.kind === 'ARG' || inst.kind === 'ENV') {
      try {
        scope?.apply(inst);
      } catch {
        // as above: reported at dispatch
      }
    } else if (inst.kind === 'COPY' && inst.from !== undefined) refOf(inst.from, inst, 'copy');
    else if (inst.kind === 'RUN') for (const m of inst.mounts) if ((m.type === 'bind' || m.type === 'cache') && m.from) refOf(m.from, inst, 'mount');
  }
}

