import { flag } from '../args.js';
import type { Command } from '../command.js';
import { formatValue, goJson } from '../format.js';
import { TugError } from '../../util/errors.js';

// `tug inspect NAME...`: containers first, then images (docker's order), or only one --type.
const command: Command = {
  spec: {
    name: 'inspect',
    usage: 'tug inspect [OPTIONS] NAME|ID [NAME|ID...]',
    description: 'Return low-level information on containers or images',
    flags: [
      { name: 'format', short: 'f', type: 'string', description: "Format output using a custom template: 'json' or a Go template" },
      { name: 'type', type: 'string', description: 'Only inspect objects of the given type (container or image)' },
      { name: 'size', short: 's', type: 'bool', description: 'Display total file sizes if the type is container' },
    ],
    minArgs: 1,
  },
  async run(ctx, args) {
    const type = flag.str(args, 'type');
    if (type !== undefined && type !== 'image' && type !== 'container') {
      throw new TugError('INVALID_ARGUMENT', `"${type}" is not a valid value for --type`, { hint: '--type is container or image' });
    }
    const { ImageService } = await import('../../image/service.js');
    const { inspectImage } = await import('../../image/inspect.js');
    const svc = ImageService.open(ctx.root);
    const found: unknown[] = [];
    const errors: string[] = [];
    for (const name of args.positionals) {
      if (type !== 'image') {
        try {
          const { inspectContainers } = await import('../../runtime/inspect.js');
          const r = await inspectContainers(ctx.root, ctx.runRoot, [name]);
          if (r.results.length) {
            found.push(...r.results);
            continue;
          }
        } catch (e) {
          if (!(e instanceof TugError)) throw e;
        }
        if (type === 'container') {
          errors.push(`No such container: ${name}`);
          continue;
        }
      }
      try {
        found.push(await inspectImage(svc, svc.resolve(name)));
      } catch (e) {
        if (!(e instanceof TugError)) throw e;
        errors.push(type === 'image' ? e.message : `No such object: ${name}`);
      }
    }
    const format = flag.str(args, 'format');
    if (format && format !== 'json') for (const v of found) ctx.stdout.write(formatValue(format, v));
    else ctx.stdout.write(`${goJson(found, 4)}\n`);
    if (!errors.length) return 0;
    for (const e of errors.slice(0, -1)) ctx.stderr.write(`Error: ${e}\n`);
    throw new TugError('NOT_FOUND', errors[errors.length - 1], { hint: "see 'tug ps -a' and 'tug images' for what exists" });
  },
};
export default command;
