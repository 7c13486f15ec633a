import type { Command } from '../command.js';
import { flag } from '../args.js';

const command: Command = {
  spec: {
    name: 'network inspect', usage: 'tug network inspect [OPTIONS] NETWORK [NETWORK...]', description: 'Display detailed information on one or more networks', minArgs: 1,
    flags: [{ name: 'format', short: 'f', type: 'string', description: 'Format output using a Go template' }],
  },
  async run(ctx, args) {
    const { inspectNetwork } = await import('../../network/networks.js');
    const { isTugError } = await import('../../util/errors.js');
    const format = flag.str(args, 'format');
    const found: Array<Record<string, unknown>> = [];
    let failed = false;
    for (const ref of args.positionals) {
      try {
        found.push(inspectNetwork(ctx.root, ref));
      } catch (e) {
        if (!isTugError(e, 'NOT_FOUND')) throw e;
        ctx.stderr.write(`Error: network ${ref} not found\n`);
        failed = true;
      }
    }
    if (format) {
      const { formatValue } = await import('../format.js');
      for (const n of found) ctx.stdout.write(formatValue(format, n));
    } else {
      ctx.stdout.write(`${JSON.stringify(found, null, 4)}\n`);
    }
    return failed ? 1 : 0;
  },
};
export default command;
