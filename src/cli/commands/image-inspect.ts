import { flag } from '../args.js';
import type { Command } from '../command.js';
import { formatValue, goJson } from '../format.js';
import { TugError } from '../../util/errors.js';

const command: Command = {
  spec: {
    name: 'image inspect',
    usage: 'tug image inspect [OPTIONS] IMAGE [IMAGE...]',
    description: 'Display detailed information on one or more images',
    flags: [{ name: 'format', short: 'f', type: 'string', description: "Format output using a custom template: 'json' or a Go template" }],
    minArgs: 1,
  },
  async run(ctx, args) {
    const { ImageService } = await import('../../image/service.js');
    const { inspectImage } = await import('../../image/inspect.js');
    const svc = ImageService.open(ctx.root);
    const format = flag.str(args, 'format');
    const found: unknown[] = [];
    let failed = false;
    // docker prints what it found, then one error per missing name, exit 1
    const errors: TugError[] = [];
    for (const name of args.positionals) {
      try {
        found.push(await inspectImage(svc, svc.resolve(name)));
      } catch (e) {
        if (!(e instanceof TugError)) throw e;
        errors.push(e);
        failed = true;
      }
    }
    if (format && format !== 'json') for (const v of found) ctx.stdout.write(formatValue(format, v));
    else if (found.length || !failed) ctx.stdout.write(`${goJson(found, 4)}\n`);
    else ctx.stdout.write('[]\n');
    if (errors.length === 1) throw errors[0];
    for (const e of errors.slice(0, -1)) ctx.stderr.write(`Error: ${e.message}\n`);
    if (errors.length) throw errors[errors.length - 1];
    return 0;
  },
};
export default command;
