import type { Command } from '../command.js';
import { flag } from '../args.js';
import { checkConfig, formatWarnings, lint, parseDockerfile, resolveStages, summarize } from '../../dockerfile/index.js';
import { parseBuildArgs, readDockerfileInput } from './dockerfile-input.js';

const command: Command = {
  spec: {
    name: 'dockerfile check',
    usage: 'tug dockerfile check [OPTIONS] FILE|-',
    description: 'Run the build checks on a Dockerfile (exit 1 when # check=error=true and a check fails)',
    flags: [
      { name: 'build-arg', type: 'list', description: 'Set a build-time variable (NAME=VALUE)' },
      { name: 'target', type: 'string', description: 'Set the target build stage' },
      { name: 'skip', type: 'list', description: 'Skip a rule (repeatable; "all" skips every rule)' },
      { name: 'error', type: 'bool', description: 'Fail when any check reports a warning' },
    ],
    minArgs: 1,
    maxArgs: 1,
  },
  async run(ctx, args) {
    const { text, filename } = await readDockerfileInput(ctx, args.positionals[0]);
    const df = parseDockerfile(text, { filename });
    const buildArgs = parseBuildArgs(flag.list(args, 'build-arg'), ctx.env);
    const resolved = resolveStages(df, { target: flag.str(args, 'target'), buildArgs });
    const opts = { skip: flag.list(args, 'skip'), error: flag.bool(args, 'error'), buildArgs };
    const warnings = lint(df, opts);
    const out = formatWarnings(df, warnings);
    ctx.stdout.write(`${summarize(warnings)}\n${out ? '\n' + out : ''}`);
    for (const w of resolved.warnings) ctx.stderr.write(w + '\n');
    if (warnings.length > 0 && checkConfig(df, opts).error) {
      ctx.stderr.write(`ERROR: lint violation found for rules: ${[...new Set(warnings.map((w) => w.rule))].join(', ')}\n`);
      return 1;
    }
    return 0;
  },
};
export default command;
