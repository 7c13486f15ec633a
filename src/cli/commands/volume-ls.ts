import type { Command } from '../command.js';
import { flag } from '../args.js';
import { formatRows, type Row } from './container-format.js';

const command: Command = {
  spec: {
    name: 'volume ls', usage: 'tug volume ls [OPTIONS]', description: 'List volumes', maxArgs: 0,
    flags: [
      { name: 'quiet', short: 'q', type: 'bool', description: 'Only display volume names' },
      { name: 'filter', short: 'f', type: 'list', description: 'Provide filter values (e.g. "dangling=true")' },
      { name: 'format', type: 'string', description: 'Format output using a Go template subset' },
    ],
  },
  async run(ctx, args) {
    const { TugError } = await import('../../util/errors.js');
    const { ContainerService } = await import('../../runtime/service.js');
    const svc = ContainerService.open(ctx.root, ctx.runRoot);
    const containers = svc.store.list();
    let vols = svc.volumes.list();
    for (const f of flag.list(args, 'filter')) {
      const [k, v] = [f.slice(0, f.indexOf('=')), f.slice(f.indexOf('=') + 1)];
      if (k === 'dangling') vols = vols.filter((x) => (svc.volumes.users(x.name, containers).length === 0) === (v === 'true' || v === '1'));
      else if (k === 'name') vols = vols.filter((x) => x.name.includes(v));
      else if (k === 'label') vols = vols.filter((x) => (v.includes('=') ? x.labels[v.split('=')[0]] === v.slice(v.indexOf('=') + 1) : v in x.labels));
      else if (k === 'driver') vols = vols.filter(() => v === 'local');
      else throw new TugError('INVALID_ARGUMENT', `invalid filter '${k}'`, { hint: 'supported: dangling, name, label, driver' });
    }
    if (flag.bool(args, 'quiet')) {
      ctx.stdout.write(vols.map((v) => v.name + '\n').join(''));
      return 0;
    }
    const rows: Row[] = vols.map((v) => ({ Driver: 'local', Name: v.name, Mountpoint: v.mountpoint, Scope: 'local', Labels: Object.entries(v.labels).map(([k, x]) => `${k}=${x}`).join(','), LabelMap: v.labels }));
    ctx.stdout.write(formatRows(flag.str(args, 'format'), { Driver: 'DRIVER', Name: 'VOLUME NAME', Mountpoint: 'MOUNTPOINT', Scope: 'SCOPE', Labels: 'LABELS' }, ['Driver', 'Name'], rows));
    return 0;
  },
};
export default command;
