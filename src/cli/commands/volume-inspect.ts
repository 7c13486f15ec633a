import type { Command } from '../command.js';
import { flag } from '../args.js';

const command: Command = {
  spec: {
    name: 'volume inspect', usage: 'tug volume inspect [OPTIONS] VOLUME [VOLUME...]', description: 'Display detailed information on one or more volumes', minArgs: 1,
    flags: [{ name: 'format', short: 'f', type: 'string', description: 'Format output using a Go template subset' }],
  },
  async run(ctx, args) {
    const { ContainerService } = await import('../../runtime/service.js');
    const svc = ContainerService.open(ctx.root, ctx.runRoot);
    const out: Array<Record<string, unknown>> = [];
    let failed = false;
    for (const n of args.positionals) {
      const v = svc.volumes.get(n);
      if (!v) {
        ctx.stderr.write(`Error: No such volume: ${n}\n`);
        failed = true;
        continue;
      }
      out.push({ CreatedAt: v.created, Driver: 'local', Labels: Object.keys(v.labels).length ? v.labels : null, Mountpoint: v.mountpoint, Name: v.name, Options: null, Scope: 'local' });
    }
    const fmt = flag.str(args, 'format');
    const { formatValue, goJson } = await import('../format.js');
    if (fmt && fmt !== 'json') for (const o of out) ctx.stdout.write(formatValue(fmt, o as Parameters<typeof formatValue>[1]));
    else ctx.stdout.write(goJson(out as Parameters<typeof goJson>[0], 4) + '\n');
    return failed ? 1 : 0;
  },
};
export default command;
