// A printable view of a parsed Dockerfile for `tug dockerfile parse`: the
// typed instructions per stage, with values expanded where they are static
// (known from ARG defaults, --build-arg and earlier ENV, nothing unset).
import { StageEnv, type Expanded } from './expand.js';
import type { Instruction } from './instructions.js';
import type { Dockerfile } from './parse.js';
import { hostPlatform, platformArgs } from './platform.js';
import { resolveGlobalArgs, resolveStages, type ResolvedBuild } from './stages.js';

export interface DescribedInstruction {
  line: number;
  endLine: number;
  source: string[];
  instruction: Instruction;
  /** The instruction with variables expanded, when every variable it uses is known. */
  expanded?: Instruction;
}

export interface DescribedStage {
  index: number;
  name?: string;
  image: string;
  imageExpanded?: string;
  platform?: string;
  /** Stages this one needs (FROM, COPY --from, RUN --mount from=), by index. */
  dependsOn?: number[];
  /** False when building the last stage does not need this one. */
  usedByDefaultTarget?: boolean;
  from: DescribedInstruction;
  instructions: DescribedInstruction[];
}

export interface Description {
  file: string;
  escapeToken: string;
  directives: Dockerfile['directives'];
  globalArgs: DescribedInstruction[];
  stages: DescribedStage[];
}

export function describeDockerfile(df: Dockerfile, buildArgs: ReadonlyMap<string, string> = new Map()): Description {
  const host = hostPlatform();
  const pargs = platformArgs(host, host);
  let globals: Map<string, string | undefined>;
  try {
    globals = resolveGlobalArgs(df, buildArgs, pargs);
  } catch {
    globals = new Map();
  }
  const meta = new Map(pargs);
  for (const [k, v] of globals) if (v !== undefined) meta.set(k, v);

  let graph: ResolvedBuild | undefined;
  try {
    graph = resolveStages(df, { buildArgs });
  } catch {
    graph = undefined; // a graph error (cycle, bad index) is reported by the build, not here
  }
  const used = new Set(graph?.stages.map((r) => r.index));

  const describe = (i: Instruction, r?: Expanded): DescribedInstruction => {
    const d: DescribedInstruction = {
      line: i.location.startLine, endLine: i.location.endLine, source: df.lines.slice(i.location.startLine - 1, i.location.endLine), instruction: i,
    };
    if (r && r.unset.size === 0 && r.used.size > 0) d.expanded = r.instruction;
    return d;
  };

  const stages = df.stages.map((s) => {
    const scope = new StageEnv({ globalArgs: globals, buildArgs, platformArgs: pargs, escapeToken: df.escapeToken, lines: df.lines });
    let fromExp: Expanded | undefined;
    try {
      fromExp = new StageEnv({ globalArgs: globals, escapeToken: df.escapeToken, imageEnv: meta }).apply(s.from);
    } catch {
      fromExp = undefined;
    }
    const instructions = s.instructions.map((i) => {
      try {
        return describe(i, scope.apply(i));
      } catch {
        return describe(i);
      }
    });
    const imageExpanded = fromExp && fromExp.instruction.kind === 'FROM' && fromExp.unset.size === 0 ? fromExp.instruction.image : undefined;
    return {
      index: s.index, name: s.name, image: s.image, imageExpanded: imageExpanded !== s.image ? imageExpanded : undefined, platform: s.platform,
      dependsOn: graph?.all[s.index].dependsOn, usedByDefaultTarget: graph ? used.has(s.index) : undefined,
      from: describe(s.from, fromExp), instructions,
    };
  });
  return { file: df.filename, escapeToken: df.escapeToken, directives: df.directives, globalArgs: df.globalArgs.map((a) => describe(a)), stages };
}

/** One line per instruction: its line number, keyword, flags and fields. */
export function formatDescription(d: Description): string {
  let s = '';
  const dirs = d.directives.all.map((x) => `${x.name}=${x.value}`);
  if (dirs.length) s += `directives: ${dirs.join(' ')}\n`;
  for (const a of d.globalArgs) s += `global ${line(a)}\n`;
  for (const st of d.stages) {
    s += `\nstage ${st.index}${st.name ? ` "${st.name}"` : ''}: FROM ${st.image}${st.imageExpanded ? ` (= ${st.imageExpanded})` : ''}`;
    s += `${st.platform ? ` --platform=${st.platform}` : ''}  [line ${st.from.line}]`;
    if (st.dependsOn?.length) s += `  needs: ${st.dependsOn.map((i) => d.stages[i]?.name ?? String(i)).join(', ')}`;
    if (st.usedByDefaultTarget === false) s += '  (not needed by the last stage)';
    s += '\n';
    for (const i of st.instructions) s += `  ${line(i)}\n`;
  }
  return s.replace(/^\n/, '');
}

function line(d: DescribedInstruction): string {
  const i = d.instruction;
  const fields = summary(d.expanded ?? i);
  const flags = i.flags.length ? ' ' + i.flags.join(' ') : '';
  return `${String(d.line).padStart(4)}  ${i.kind}${flags}  ${fields}`;
}

function summary(i: Instruction): string {
  const j = (v: unknown): string => JSON.stringify(v);
  switch (i.kind) {
    case 'FROM':
      return `image=${j(i.image)}${i.stageName ? ` name=${j(i.stageName)}` : ''}`;
    case 'RUN': {
      let s = `${i.json ? 'exec' : 'shell'}=${j(i.command)}`;
      for (const m of i.mounts) s += ` mount=${j(m)}`;
      if (i.network) s += ` network=${i.network}`;
      if (i.security) s += ` security=${i.security}`;
      for (const h of i.heredocs) s += ` heredoc<<${h.name}=${j(h.data)}`;
      return s;
    }
    case 'CMD':
    case 'ENTRYPOINT':
      return `${i.json ? 'exec' : 'shell'}=${j(i.command)}`;
    case 'SHELL':
      return `shell=${j(i.shell)}`;
    case 'ENV':
    case 'LABEL':
      return i.pairs.map((p) => `${p.key}=${j(p.value)}`).join(' ');
    case 'ARG':
      return i.args.map((a) => (a.value === undefined ? a.key : `${a.key}=${j(a.value)}`)).join(' ');
    case 'EXPOSE':
      return `ports=${j(i.ports)}`;
    case 'COPY':
    case 'ADD': {
      let s = `sources=${j(i.sources)} dest=${j(i.dest)}`;
      for (const h of i.inline) s += ` heredoc<<${h.name}=${j(h.data)}`;
      return s;
    }
    case 'VOLUME':
      return `paths=${j(i.paths)}`;
    case 'USER':
      return `user=${j(i.user)}`;
    case 'WORKDIR':
      return `path=${j(i.path)}`;
    case 'ONBUILD':
      return `trigger=${j(i.expression)}`;
    case 'STOPSIGNAL':
      return `signal=${j(i.signal)}`;
    case 'HEALTHCHECK':
      return `test=${j(i.test)}${i.interval ? ` interval=${i.interval / 1e9}s` : ''}${i.timeout ? ` timeout=${i.timeout / 1e9}s` : ''}${i.retries ? ` retries=${i.retries}` : ''}`;
    case 'MAINTAINER':
      return `maintainer=${j(i.maintainer)}`;
  }
}
