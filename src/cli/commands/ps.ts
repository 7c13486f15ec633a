import type { Command } from '../command.js';
import { flag } from '../args.js';
import { TugError } from '../../util/errors.js';
import { portsText } from '../../network/present.js';
import { formatRows, type Row } from './container-format.js';

const HEADERS: Record<string, string> = { ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', RunningFor: 'CREATED', CreatedAt: 'CREATED AT', Status: 'STATUS', Ports: 'PORTS', Names: 'NAMES', Size: 'SIZE', State: 'STATE', Labels: 'LABELS', Mounts: 'MOUNTS', Networks: 'NETWORKS' };

const command: Command = {
  spec: {
    name: 'ps', usage: 'tug ps [OPTIONS]', description: 'List containers', maxArgs: 0,
    flags: [
      { name: 'all', short: 'a', type: 'bool', description: 'Show all containers (default shows just running)' },
      { name: 'quiet', short: 'q', type: 'bool', description: 'Only display container IDs' },
      { name: 'latest', short: 'l', type: 'bool', description: 'Show the latest created container (includes all states)' },
      { name: 'last', short: 'n', type: 'int', description: 'Show n last created containers (includes all states)' },
      { name: 'filter', short: 'f', type: 'list', description: 'Filter output based on conditions provided' },
      { name: 'format', type: 'string', description: 'Format output using a Go template subset' },
      { name: 'no-trunc', type: 'bool', description: "Don't truncate output" },
      { name: 'size', short: 's', type: 'bool', description: 'Display total file sizes' },
    ],
  },
  async run(ctx, args) {
    const { ContainerService } = await import('../../runtime/service.js');
    const { statusText, commandText, ago } = await import('../../runtime/present.js');
    const svc = ContainerService.open(ctx.root, ctx.runRoot);
    let recs = await svc.list();
    const all = flag.bool(args, 'all');
    const last = flag.bool(args, 'latest') ? 1 : flag.int(args, 'last');
    const filters = flag.list(args, 'filter').map((f) => {
      const eq = f.indexOf('=');
      if (eq < 0) throw new TugError('INVALID_ARGUMENT', `bad format of filter (expected name=value): ${f}`, { hint: 'e.g. --filter status=exited' });
      return [f.slice(0, eq), f.slice(eq + 1)] as const;
    });
    const known = ['id', 'name', 'label', 'status', 'exited', 'ancestor', 'health', 'volume'];
    for (const [k] of filters) if (!known.includes(k)) throw new TugError('INVALID_ARGUMENT', `invalid filter '${k}'`, { hint: `supported: ${known.join(', ')}` });
    const byKey = (k: string): string[] => filters.filter(([fk]) => fk === k).map(([, v]) => v);
    const statuses = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];
    for (const v of byKey('status')) if (!statuses.includes(v)) throw new TugError('INVALID_ARGUMENT', `invalid filter 'status=${v}'`, { hint: `status is one of ${statuses.join(', ')}` });
    const match = (vals: string[], pred: (v: string) => boolean): boolean => vals.length === 0 || vals.some(pred);
    const hasStatusFilter = byKey('status').length > 0 || byKey('exited').length > 0;
    recs = recs.filter((r) => {
      if (!all && last === undefined && !hasStatusFilter && r.state.status !== 'running' && r.state.status !== 'paused' && r.state.status !== 'restarting') return false;
      if (!match(byKey('id'), (v) => r.id.startsWith(v))) return false;
      if (!match(byKey('name'), (v) => r.name.includes(v))) return false;
      if (!byKey('label').every((v) => {
        const eq = v.indexOf('=');
        return eq < 0 ? v in r.config.labels : r.config.labels[v.slice(0, eq)] === v.slice(eq + 1);
      })) return false;
      if (!match(byKey('status'), (v) => r.state.status === v)) return false;
      if (!match(byKey('exited'), (v) => r.state.status === 'exited' && r.state.exitCode === Number(v))) return false;
      if (!match(byKey('ancestor'), (v) => r.config.image === v || r.config.imageId.startsWith(v) || r.config.imageId.replace('sha256:', '').startsWith(v))) return false;
      if (!match(byKey('health'), (v) => (r.state.health?.status ?? 'none') === v)) return false;
      if (!match(byKey('volume'), (v) => r.config.mounts.some((m) => m.source === v || m.destination === v))) return false;
      return true;
    });
    if (last !== undefined && last >= 0) recs = recs.slice(0, last);
    const noTrunc = flag.bool(args, 'no-trunc');
    if (flag.bool(args, 'quiet')) {
      ctx.stdout.write(recs.map((r) => (noTrunc ? r.id : r.id.slice(0, 12)) + '\n').join(''));
      return 0;
    }
    const rows: Row[] = recs.map((r) => {
      let cmd = commandText(r);
      if (!noTrunc && cmd.length > 20) cmd = cmd.slice(0, 19) + '…';
      return {
        ID: noTrunc ? r.id : r.id.slice(0, 12),
        Image: r.config.image || r.config.rootfsDir || '',
        Command: `"${cmd}"`,
        CreatedAt: new Date(r.created).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' +0000 UTC'),
        RunningFor: `${ago(r.created)} ago`,
        Ports: r.state.status === 'running' ? portsText(ctx.root, r.id) : '',
        Status: statusText(r),
        State: r.state.status,
        Names: r.name,
        Labels: Object.entries(r.config.labels).map(([k, v]) => `${k}=${v}`).join(','),
        LabelMap: r.config.labels,
        Mounts: r.config.mounts.map((m) => m.source || m.destination).join(','),
        Networks: typeof r.config.network === 'string' ? (r.config.network === 'private' ? 'none' : r.config.network) : r.config.network.bridge,
        Size: '0B',
      };
    });
    const cols = ['ID', 'Image', 'Command', 'RunningFor', 'Status', 'Ports', 'Names'];
    if (flag.bool(args, 'size')) {
      const { writableSize } = await import('../../runtime/sizes.js');
      for (let i = 0; i < rows.length; i++) rows[i].Size = await writableSize(svc, recs[i]);
      cols.push('Size');
    }
    ctx.stdout.write(formatRows(flag.str(args, 'format'), HEADERS, cols, rows));
    return 0;
  },
};
export default command;
