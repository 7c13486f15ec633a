// Build checks (BuildKit's linter rules): pure functions over a parsed
// Dockerfile, configurable with `# check=skip=…;error=true`.
import { expandInstruction } from './expand.js';
import type { Instruction } from './instructions.js';
import { parseCheckDirective, type Dockerfile, type Stage } from './parse.js';
import { hostPlatform, platformArgs } from './platform.js';
import { processWord } from './shell.js';
import { suggest } from './suggest.js';

export interface LintRule {
  name: string;
  description: string;
  url: string;
}

export interface LintWarning {
  rule: string;
  description: string;
  url: string;
  message: string;
  location: { file: string; startLine: number; endLine: number };
}

export interface LintOptions {
  /** Extra rules to skip (on top of the check directive); "all" skips all. */
  skip?: string[];
  /** Treat warnings as errors even without `error=true` in the directive. */
  error?: boolean;
  buildArgs?: ReadonlyMap<string, string> | Readonly<Record<string, string>>;
  /** Env of base images by reference, when the caller knows it (UndefinedVar). */
  baseImageEnv?: (ref: string) => Iterable<string> | undefined;
}

const RULE_LIST: Array<[string, string]> = [
  ['StageNameCasing', 'Stage names should be lowercase'],
  ['FromAsCasing', "The 'as' keyword should match the case of the 'from' keyword"],
  ['NoEmptyContinuation', 'Empty continuation lines will become errors in a future release'],
  ['ConsistentInstructionCasing', 'All commands within the Dockerfile should use the same casing (either upper or lower)'],
  ['DuplicateStageName', 'Stage names should be unique'],
  ['ReservedStageName', 'Reserved words should not be used as stage names'],
  ['JSONArgsRecommended', 'JSON arguments recommended for ENTRYPOINT/CMD to prevent unintended behavior related to OS signals'],
  ['MaintainerDeprecated', 'The MAINTAINER instruction is deprecated, use a label instead to define an image author'],
  ['UndefinedArgInFrom', 'FROM command must use declared ARGs'],
  ['WorkdirRelativePath', 'Relative workdir without an absolute workdir declared within the build can have unexpected results if the base image changes'],
  ['UndefinedVar', 'Variables should be defined before their use'],
  ['MultipleInstructionsDisallowed', 'Multiple instructions of the same type should not be used in the same stage'],
  ['LegacyKeyValueFormat', 'Legacy key/value format with whitespace separator should not be used'],
  ['InvalidDefaultArgInFrom', 'Default value for global ARG results in an empty or invalid base image name'],
  ['SecretsUsedInArgOrEnv', 'Sensitive data should not be used in the ARG or ENV commands'],
  ['FromPlatformFlagConstDisallowed', 'FROM --platform flag should not use a constant value'],
  ['RedundantTargetPlatform', 'Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior'],
  ['ExposeProtoCasing', 'Protocol in EXPOSE instruction should be lowercase'],
];

function kebab(name: string): string {
  return name.replace(/JSON/g, 'Json').replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

export const LINT_RULES: readonly LintRule[] = RULE_LIST.map(([name, description]) => ({
  name, description, url: `https://docs.docker.com/go/dockerfile/rule/${kebab(name)}/`,
}));
const RULES = new Map(LINT_RULES.map((r) => [r.name, r]));

const SECRET_RE = /(?:_|^)(?:apikey|auth|credential|credentials|key|password|pword|passwd|secret|token)(?:_|$)/i;
const SECRET_ALLOW_RE = /(?:_|^)public(?:_|$)/i;
const RESERVED_STAGE_NAMES = new Set(['scratch', 'context']);
// A docker image reference (domain/path:tag@digest), as distribution/reference accepts it.
const REF_RE =
  /^(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$/;

/** Whether `ref` is a syntactically valid image reference. */
export function isValidImageRef(ref: string): boolean {
  return ref.length <= 255 + 128 && REF_RE.test(ref);
}

export interface CheckConfig {
  skip: Set<string>;
  skipAll: boolean;
  error: boolean;
}

/** The effective check configuration: the `# check=` directive plus options. */
export function checkConfig(df: Dockerfile, opts: LintOptions = {}): CheckConfig {
  // As in BuildKit, the BUILDKIT_DOCKERFILE_CHECK build arg replaces the directive.
  const ba = opts.buildArgs;
  const fromArg = ba instanceof Map ? ba.get('BUILDKIT_DOCKERFILE_CHECK') : (ba as Readonly<Record<string, string>> | undefined)?.BUILDKIT_DOCKERFILE_CHECK;
  const base = fromArg !== undefined ? parseCheckDirective(fromArg) : df.directives.check;
  const skip = new Set([...(base?.skip ?? []), ...(opts.skip ?? [])]);
  return { skip, skipAll: [...skip].some((s) => s.toLowerCase() === 'all'), error: (base?.error ?? false) || (opts.error ?? false) };
}

/** Runs every check; returns warnings in source order. */
export function lint(df: Dockerfile, opts: LintOptions = {}): LintWarning[] {
  const cfg = checkConfig(df, opts);
  const out: LintWarning[] = [];
  const warn = (rule: string, message: string, inst: { location: { startLine: number; endLine: number } } | number): void => {
    if (cfg.skipAll || cfg.skip.has(rule)) return;
    const r = RULES.get(rule) as LintRule;
    const [startLine, endLine] = typeof inst === 'number' ? [inst, inst] : [inst.location.startLine, inst.location.endLine];
    out.push({ rule, description: r.description, url: r.url, message, location: { file: df.filename, startLine, endLine } });
  };

  for (const w of df.warnings) warn('NoEmptyContinuation', 'Empty continuation line', w.line);
  casingChecks(df, warn);
  stageChecks(df, warn);
  fromArgChecks(df, warn);
  const absWorkdir: boolean[] = [];
  const stageByName = new Map(df.stages.filter((s) => s.name).map((s) => [s.name as string, s.index]));
  for (const s of df.stages) {
    const base = stageByName.get(s.image);
    absWorkdir.push(stageInstructionChecks(s, base !== undefined && base < s.index && absWorkdir[base], warn));
  }
  for (const a of df.globalArgs) secretCheck(a, warn);
  undefinedVarCheck(df, opts, warn);
  out.sort((a, b) => a.location.startLine - b.location.startLine);
  return out;
}

type Warn = (rule: string, message: string, inst: { location: { startLine: number; endLine: number } } | number) => void;

function casingChecks(df: Dockerfile, warn: Warn): void {
  let upper = 0;
  let lower = 0;
  const all: Instruction[] = df.instructions; // top-level only, as BuildKit walks the AST
  for (const i of all) {
    if (i.keyword === i.keyword.toUpperCase()) upper++;
    else if (i.keyword === i.keyword.toLowerCase()) lower++;
  }
  const majority = lower > upper ? 'lowercase' : 'uppercase';
  for (const i of all) {
    const ok = majority === 'lowercase' ? i.keyword === i.keyword.toLowerCase() : i.keyword === i.keyword.toUpperCase();
    if (!ok) warn('ConsistentInstructionCasing', `Command '${i.keyword}' should match the case of the command majority (${majority})`, i);
  }
}

function stageChecks(df: Dockerfile, warn: Warn): void {
  const seen = new Set<string>();
  for (const s of df.stages) {
    const f = s.from;
    if (f.stageNameRaw !== undefined) {
      if (f.stageNameRaw !== f.stageNameRaw.toLowerCase()) warn('StageNameCasing', `Stage name '${f.stageNameRaw}' should be lowercase`, f);
      const kwUpper = f.keyword === f.keyword.toUpperCase();
      const kwLower = f.keyword === f.keyword.toLowerCase();
      const as = f.asKeyword ?? 'as';
      if ((kwUpper && as !== as.toUpperCase()) || (kwLower && as !== as.toLowerCase())) {
        warn('FromAsCasing', `'${as}' and '${f.keyword}' keywords' casing do not match`, f);
      }
    }
    if (s.name) {
      if (seen.has(s.name)) warn('DuplicateStageName', `Duplicate stage name '${s.name}', stage names should be unique`, f);
      seen.add(s.name);
      if (RESERVED_STAGE_NAMES.has(s.name)) warn('ReservedStageName', `'${s.name}' is reserved and should not be used as a stage name`, f);
    }
    if (f.platform !== undefined) {
      if (/^\$\{?TARGETPLATFORM\}?$/.test(f.platform)) {
        warn('RedundantTargetPlatform', `Setting platform to predefined ${f.platform} in FROM is redundant as this is the default behavior`, f);
      } else if (!f.platform.includes('$') && !namesPlatform(s.name, f.platform)) {
        warn('FromPlatformFlagConstDisallowed', `FROM --platform flag should not use constant value "${f.platform}"`, f);
      }
    }
  }
}

/** A stage named after its constant platform (build_amd64) is the documented exception. */
function namesPlatform(stage: string | undefined, platform: string): boolean {
  if (!stage) return false;
  return platform.toLowerCase().split('/').some((part) => part !== '' && stage.includes(part));
}

function fromArgChecks(df: Dockerfile, warn: Warn): void {
  const declared = new Map<string, string>();
  const defaults = new Map<string, string>();
  const host = hostPlatform();
  const pargs = platformArgs(host, host);
  for (const [k, v] of pargs) {
    declared.set(k, v);
    defaults.set(k, v);
  }
  for (const inst of df.globalArgs) {
    for (const a of inst.args) {
      declared.set(a.key, a.value ?? '');
      if (a.value !== undefined) {
        try {
          defaults.set(a.key, processWord(a.value, defaults, { escapeToken: df.escapeToken }).result);
        } catch {
          defaults.set(a.key, a.value);
        }
      }
    }
  }
  const stageNames = new Set(df.stages.map((s) => s.name).filter((n): n is string => !!n));
  for (const s of df.stages) {
    for (const expr of [s.image, s.platform]) {
      if (expr === undefined) continue;
      let r;
      try {
        r = processWord(expr, declared, { escapeToken: df.escapeToken });
      } catch {
        continue;
      }
      for (const name of r.unmatched) {
        const sug = suggest(name, [...declared.keys()], true);
        warn('UndefinedArgInFrom', `FROM argument '${name}' is not declared${sug ? ` (did you mean ${sug}?)` : ''}`, s.from);
      }
    }
    if (!s.image.includes('$')) continue;
    try {
      const r = processWord(s.image, defaults, { escapeToken: df.escapeToken });
      if (r.matched.size === 0 && r.unmatched.size === 0) continue;
      if (stageNames.has(r.result.toLowerCase())) continue;
      if (r.result === '' || !isValidImageRef(r.result)) {
        warn('InvalidDefaultArgInFrom', `Default value for ARG ${s.image} results in empty or invalid base image name`, s.from);
      }
    } catch {
      // a syntax error: reported when the stage is resolved
    }
  }
}

function secretCheck(inst: Instruction, warn: Warn): void {
  const keys = inst.kind === 'ARG' ? inst.args.map((a) => a.key) : inst.kind === 'ENV' ? inst.pairs.map((p) => p.key) : [];
  for (const k of keys) {
    if (SECRET_RE.test(k) && !SECRET_ALLOW_RE.test(k)) {
      warn('SecretsUsedInArgOrEnv', `Do not use ARG or ENV instructions for sensitive data (${inst.kind} "${k}")`, inst);
    }
  }
}

/** Per-stage checks; returns whether a WORKDIR was set (stages built on this one inherit that, as in BuildKit). */
function stageInstructionChecks(s: Stage, inheritedWorkdir: boolean, warn: Warn): boolean {
  const lastOf = new Map<string, Instruction>();
  for (const i of s.instructions) if (i.kind === 'CMD' || i.kind === 'ENTRYPOINT' || i.kind === 'HEALTHCHECK') lastOf.set(i.kind, i);
  let workdirSeen = inheritedWorkdir;
  let shellSet = false;
  for (const i of s.instructions) {
    switch (i.kind) {
      case 'SHELL':
        shellSet = true;
        break;
      case 'CMD':
      case 'ENTRYPOINT':
        // With SHELL set, the shell form is deliberate (BuildKit checks the image's Shell).
        if (!i.json && i.command.length > 0 && !shellSet) {
          warn('JSONArgsRecommended', `JSON arguments recommended for ${i.kind} to prevent unintended behavior related to OS signals`, i);
        }
        break;
      case 'MAINTAINER':
        warn('MaintainerDeprecated', 'Maintainer instruction is deprecated in favor of using label', i);
        break;
      case 'WORKDIR':
        // Only the first WORKDIR of a stage is checked: fixing it fixes the ones after it.
        if (!workdirSeen && !i.path.startsWith('/') && !i.path.startsWith('$')) warn('WorkdirRelativePath', `Relative workdir '${i.path}' can have unexpected results if the base image changes`, i);
        workdirSeen = true;
        break;
      case 'ENV':
      case 'LABEL':
        if (i.legacy) warn('LegacyKeyValueFormat', `"${i.kind} key=value" should be used instead of legacy "${i.kind} key value" format`, i);
        if (i.kind === 'ENV') secretCheck(i, warn);
        break;
      case 'ARG':
        secretCheck(i, warn);
        break;
      case 'EXPOSE':
        for (const p of i.ports) {
          const slash = p.indexOf('/');
          if (slash >= 0 && p.slice(slash + 1) !== p.slice(slash + 1).toLowerCase()) {
            warn('ExposeProtoCasing', `Defined protocol '${p}' in EXPOSE instruction should be lowercase`, i);
          }
        }
        break;
    }
    if ((i.kind === 'CMD' || i.kind === 'ENTRYPOINT' || i.kind === 'HEALTHCHECK') && lastOf.get(i.kind) !== i) {
      warn('MultipleInstructionsDisallowed', `Multiple ${i.kind} instructions should not be used in the same stage because only the last one will be used`, i);
    }
  }
  return workdirSeen;
}

/** Simulates ARG/ENV per stage and reports variables used before any definition. */
function undefinedVarCheck(df: Dockerfile, opts: LintOptions, warn: Warn): void {
  const host = hostPlatform();
  const pargs = platformArgs(host, host);
  const globals = new Map<string, string>();
  for (const inst of df.globalArgs) for (const a of inst.args) globals.set(a.key, a.value ?? '');
  const stageEnvs: Array<Map<string, string>> = [];
  const byName = new Map<string, number>();
  for (const s of df.stages) if (s.name) byName.set(s.name, s.index);
  for (const s of df.stages) {
    // The base's ENV: another stage's final ENV, the image's (when known), or just PATH.
    const env = new Map<string, string>();
    const baseStage = byName.get(s.image);
    let known = true;
    if (baseStage !== undefined && baseStage < s.index) for (const [k, v] of stageEnvs[baseStage]) env.set(k, v);
    else {
      const img = opts.baseImageEnv?.(s.image);
      if (img) {
        for (const kv of img) {
          const eq = kv.indexOf('=');
          env.set(eq < 0 ? kv : kv.slice(0, eq), eq < 0 ? '' : kv.slice(eq + 1));
        }
      } else {
        env.set('PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
        known = s.image.toLowerCase() === 'scratch';
      }
    }
    // scope = ARGs overlaid by ENV, kept up to date instead of rebuilt per instruction
    // Proxy args are not pre-declared here: BuildKit reports $no_proxy used without an ARG too.
    const args = new Map<string, string>();
    const scope = new Map<string, string>([...args, ...env]);
    for (const i of s.instructions) {
      let r;
      try {
        r = expandInstruction(i, scope, df.escapeToken);
      } catch {
        continue;
      }
      for (const name of r.unset) {
        // With an unknown base image, a variable could come from it; only report likely typos then.
        const sug = suggest(name, [...scope.keys()], true);
        if (!known && !sug) continue;
        warn('UndefinedVar', `Usage of undefined variable '$${name}'${sug ? ` (did you mean $${sug}?)` : ''}`, i);
      }
      if (r.instruction.kind === 'ARG') {
        for (const a of r.instruction.args) {
          const v = a.value ?? globals.get(a.key) ?? pargs.get(a.key) ?? '';
          args.set(a.key, v);
          if (!env.has(a.key)) scope.set(a.key, v);
        }
      } else if (r.instruction.kind === 'ENV') {
        for (const p of r.instruction.pairs) {
          env.set(p.key, p.value);
          scope.set(p.key, p.value);
        }
      }
    }
    stageEnvs.push(env);
  }
}

/** Renders warnings as `docker build --check` does. */
export function formatWarnings(df: Dockerfile, warnings: LintWarning[]): string {
  let s = '';
  for (const w of warnings) {
    s += `WARNING: ${w.rule} - ${w.url}\n${w.message}\n`;
    const { startLine, endLine } = w.location;
    s += `${w.location.file}:${startLine === endLine ? startLine : `${startLine}-${endLine}`}\n--------------------\n`;
    const from = Math.max(1, startLine - 2);
    const to = Math.min(df.lines.length, endLine + 2);
    for (let n = from; n <= to; n++) {
      const mark = n >= startLine && n <= endLine ? '>>>' : '   ';
      s += ` ${String(n).padStart(3)} | ${mark} ${df.lines[n - 1]}`.trimEnd() + '\n';
    }
    s += '--------------------\n';
  }
  return s;
}

/** The short form `docker build` prints after a build: "1 warning found …" and one line per warning. */
export function formatWarningsShort(warnings: LintWarning[]): string {
  if (warnings.length === 0) return '';
  let s = `${warnings.length} warning${warnings.length === 1 ? '' : 's'} found (use docker --debug to expand):\n`;
  for (const w of warnings) s += ` - ${w.rule}: ${w.message} (line ${w.location.startLine})\n`;
  return s;
}

/** The summary line `docker build --check` prints. */
export function summarize(warnings: LintWarning[]): string {
  if (warnings.length === 0) return 'Check complete, no warnings found.';
  return `Check complete, ${warnings.length} warning${warnings.length === 1 ? ' has' : 's have'} been found!`;
}
