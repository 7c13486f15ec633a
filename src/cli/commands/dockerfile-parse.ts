import type { Command } from '../command.js';
import { flag } from '../args.js';
import { describeDockerfile, dumpAst, formatDescription, parseAst, parseDockerfile } from '../../dockerfile/index.js';
import { parseBuildArgs, readDockerfileInput } from './dockerfile-input.js';

const command: Command = {
  spec: {
    name: 'dockerfile parse',
    usage: 'tug dockerfile parse [OPTIONS] FILE|-',
    description: 'Print the parsed instructions of a Dockerfile, per stage',
    flags: [
      { name: 'json', type: 'bool', description: 'Print JSON (typed instructions, expanded values where static)' },
      { name: 'dump', type: 'bool', description: "Print BuildKit's S-expression dump of the parse tree" },
      { name: 'build-arg', type: 'list', description: 'Set a build-time variable (NAME=VALUE) for static expansion' },
    ],
    minArgs: 1,
    maxArgs: 1,
  },
  async run(ctx, args) {
    const { text, filename } = await readDockerfileInput(ctx, args.positionals[0]);
    if (flag.bool(args, 'dump')) {
      ctx.stdout.write(dumpAst(parseAst(text, { filename })));
      return 0;
    }
    const df = parseDockerfile(text, { filename });
    const d = describeDockerfile(df, parseBuildArgs(flag.list(args, 'build-arg'), ctx.env));
    ctx.stdout.write(flag.bool(args, 'json') ? JSON.stringify(d, null, 2) + '\n' : formatDescription(d));
    return 0;
  },
};
export default command;
