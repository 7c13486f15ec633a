import type { Command } from '../command.js';
import { flag } from '../args.js';

const command: Command = {
  spec: {
    name: 'network ls', usage: 'tug network ls [OPTIONS]', description: 'List networks', maxArgs: 0,
    flags: [
      { name: 'quiet', short: 'q', type: 'bool', description: 'Only display network IDs' },
      { name: 'no-trunc', type: 'bool', description: 'Do not truncate the output' },
      { name: 'filter', short: 'f', type: 'list', description: 'Provide filter values (e.g. "name=foo", "label=k=v", "driver=bridge")' },
      { name: 'format', type: 'string', description: 'Format output using a Go template' },
    ],
  },
  async run(ctx, args) {
    const { TugError } = await import('../../util/errors.js');
    const { listAll } = await import('../../network/networks.js');
    const { formatRows } = await import('../format.js');
    let nets = listAll(ctx.root);
    for (const f of flag.list(args, 'filter')) {
      const [k, v] = [f.slice(0, f.indexOf('=')), f.slice(f.indexOf('=') + 1)];
      if (k === 'name') nets = nets.filter((n) => n.name.includes(v));
      else if (k === 'id') nets = nets.filter((n) => n.id.startsWith(v));
      else if (k === 'driver') nets = nets.filter((n) => n.driver === v);
      else if (k === 'type') nets = nets.filter((n) => (v === 'builtin') === n.builtin);
      else if (k === 'label') nets = nets.filter((n) => (v.includes('=') ? n.labels[v.split('=')[0]] === v.slice(v.indexOf('=') + 1) : v in n.labels));
      else throw new TugError('INVALID_ARGUMENT', `invalid filter '${k}'`, { hint: 'supported: name, id, driver, type, label' });
    }
    const trunc = !flag.bool(args, 'no-trunc');
    if (flag.bool(args, 'quiet')) {
      ctx.stdout.write(nets.map((n) => `${trunc ? n.id.slice(0, 12) : n.id}\n`).join(''));
      return 0;
    }
    const rows = nets.map((n) => ({
      ID: trunc ? n.id.slice(0, 12) : n.id, Name: n.name, Driver: n.driver, Scope: 'local', IPv6: 'false', Internal: String(n.internal),
      CreatedAt: n.created, Labels: Object.entries(n.labels).map(([k, v]) => `${k}=${v}`).join(','),
    }));
    const format = flag.str(args, 'format') ?? 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}';
    ctx.stdout.write(formatRows(format, rows, { headers: { ID: 'NETWORK ID', Name: 'NAME', Driver: 'DRIVER', Scope: 'SCOPE', IPv6: 'IPV6', Internal: 'INTERNAL', CreatedAt: 'CREATED AT', Labels: 'LABELS' } }));
    return 0;
  },
};
export default command;
