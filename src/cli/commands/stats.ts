import type { Command } from '../command.js';
import { flag } from '../args.js';
import { formatRows, type Row } from './container-format.js';

const HEADERS: Record<string, string> = { ID: 'CONTAINER ID', Container: 'CONTAINER', Name: 'NAME', CPUPerc: 'CPU %', MemUsage: 'MEM USAGE / LIMIT', MemPerc: 'MEM %', NetIO: 'NET I/O', BlockIO: 'BLOCK I/O', PIDs: 'PIDS' };

const command: Command = {
  spec: {
    name: 'stats', usage: 'tug stats [OPTIONS] [CONTAINER...]', description: 'Display a snapshot of container resource usage statistics',
    flags: [
      { name: 'no-stream', type: 'bool', description: 'Disable streaming stats and only pull the first result' },
      { name: 'all', short: 'a', type: 'bool', description: 'Show all containers (default shows just running)' },
      { name: 'format', type: 'string', description: 'Format output using a Go template subset' },
      { name: 'no-trunc', type: 'bool', description: 'Do not truncate output' },
    ],
  },
  async run(ctx, args) {
    const { ContainerService } = await import('../../runtime/service.js');
    const { sampleStats } = await import('../../runtime/ops.js');
    const { humanSize } = await import('../../runtime/sizes.js');
    const svc = ContainerService.open(ctx.root, ctx.runRoot);
    const stream = !flag.bool(args, 'no-stream');
    const pick = async () => {
      if (args.positionals.length) return Promise.all(args.positionals.map((r) => svc.get(r)));
      return (await svc.list()).filter((r) => flag.bool(args, 'all') || r.state.status === 'running' || r.state.status === 'paused');
    };
    const mib = (n: number): string => {
      const u = ['B', 'KiB', 'MiB', 'GiB'];
      let i = 0;
      while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
      return `${n.toFixed(i ? 2 : 0)}${u[i]}`;
    };
    for (;;) {
      const recs = await pick();
      const running = recs.filter((r) => r.state.status === 'running' || r.state.status === 'paused');
      const samples = new Map((await sampleStats(running)).map((s) => [s.id, s]));
      const rows: Row[] = recs.map((r) => {
        const s = samples.get(r.id);
        return {
          ID: flag.bool(args, 'no-trunc') ? r.id : r.id.slice(0, 12), Container: args.positionals[0] ?? r.id.slice(0, 12), Name: r.name,
          CPUPerc: `${(s?.cpuPercent ?? 0).toFixed(2)}%`,
          MemUsage: s ? `${mib(s.memUsage)} / ${mib(s.memLimit)}` : '0B / 0B',
          MemPerc: s && s.memLimit ? `${((s.memUsage / s.memLimit) * 100).toFixed(2)}%` : '0.00%',
          NetIO: '0B / 0B', BlockIO: '0B / 0B', PIDs: String(s?.pids ?? 0),
        };
      });
      void humanSize;
      if (stream && ctx.stdout.isTTY) ctx.stdout.write('\x1b[2J\x1b[H');
      ctx.stdout.write(formatRows(flag.str(args, 'format'), HEADERS, ['ID', 'Name', 'CPUPerc', 'MemUsage', 'MemPerc', 'NetIO', 'BlockIO', 'PIDs'], rows));
      if (!stream) return 0;
    }
  },
};
export default command;
