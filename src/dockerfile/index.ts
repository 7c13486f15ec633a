// The dockerfile module: a pure Dockerfile frontend (layer 5, imports nothing
// of ours but TugError). parse → typed instructions per stage → expansion in
// order (StageEnv) → stage graph for a target → lint checks.
export { DockerfileError, isDockerfileError, type ErrorLocation } from './errors.js';
export {
  parseAst, dumpAst, dumpNode, parseHeredoc, parseWords, chompHeredocContent,
  type AstResult, type Node, type Heredoc, type Directive, type ParseWarning,
} from './ast.js';
export { processWord, expandWord, expandWords, goQuote, type Env, type ExpandResult, type LexOptions } from './shell.js';
export {
  INSTRUCTION_NAMES, INSTRUCTION_FLAGS,
  type Instruction, type InstructionKind, type Location, type KeyValue, type ArgDecl, type InlineFile, type NetworkMode, type SecurityMode,
  type FromInstruction, type RunInstruction, type CmdInstruction, type EntrypointInstruction, type ShellInstruction, type EnvInstruction,
  type LabelInstruction, type ArgInstruction, type ExposeInstruction, type CopyInstruction, type AddInstruction, type VolumeInstruction,
  type UserInstruction, type WorkdirInstruction, type OnbuildInstruction, type StopsignalInstruction, type HealthcheckInstruction,
  type MaintainerInstruction,
} from './instructions.js';
export { parseMount, splitCsv, parseRamBytes, MOUNT_TYPES, type Mount, type MountType, type BindMount, type CacheMount, type TmpfsMount, type SecretMount, type SshMount, type CacheSharing } from './mounts.js';
export { parseDockerfile, parseInstruction, parseCheckDirective, type Dockerfile, type Stage, type Directives, type CheckDirective, type ParseOptions } from './parse.js';
export { expandInstruction, isValidSignal, StageEnv, PROXY_ARGS, type Expanded, type StageEnvInit } from './expand.js';
export { hostPlatform, parsePlatform, formatPlatform, platformArgs, PLATFORM_ARG_NAMES, type Platform } from './platform.js';
export {
  resolveStages, resolveGlobalArgs,
  type ResolveOptions, type ResolvedBuild, type ResolvedStage, type StageDependency, type DependencyKind,
} from './stages.js';
export { lint, checkConfig, formatWarnings, formatWarningsShort, summarize, isValidImageRef, LINT_RULES, type LintWarning, type LintOptions, type LintRule, type CheckConfig } from './lint.js';
export { suggest } from './suggest.js';
export { describeDockerfile, formatDescription, type Description, type DescribedStage, type DescribedInstruction } from './describe.js';
export { runInvocation, commandArgv, DEFAULT_SHELL, type RunInvocation, type InlineScript } from './command.js';
