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
    // Parser warnings go to stderr, worded as BuildKit's PrintWarnings does.
    const warn = (ws: Array<{ short: string }>): void => {
      for (const w of ws) ctx.stderr.write(`[WARNING]: ${w.short}\n`);
      if (ws.length) ctx.stderr.write('[WARNING]: Empty continuation lines will become errors in a future release.\n');
    };
    if (flag.bool(args, 'dump')) {
      const ast = parseAst(text, { filename });
      warn(ast.warnings);
      ctx.stdout.write(dumpAst(ast));
      return 0;
    }
    const df = parseDockerfile(text, { filename });
    warn(df.warnings);
    const d = describeDockerfile(df, parseBuildArgs(flag.list(args, 'build-arg'), ctx.env));
    ctx.stdout.write(flag.bool(args, 'json') ? JSON.stringify(d, null, 2) + '\n' : formatDescription(d));
    return 0;
  },
};
export default command;
