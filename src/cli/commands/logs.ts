import type { Command } from '../command.js';
import { flag } from '../args.js';

const command: Command = {
  spec: {
    name: 'logs', usage: 'tug logs [OPTIONS] CONTAINER', description: 'Fetch the logs of a container', minArgs: 1, maxArgs: 1,
    flags: [
      { name: 'follow', short: 'f', type: 'bool', description: 'Follow log output' },
      { name: 'tail', short: 'n', type: 'string', description: 'Number of lines to show from the end of the logs (default "all")' },
      { name: 'since', type: 'string', description: 'Show logs since timestamp or relative (e.g. 42m)' },
      { name: 'until', type: 'string', description: 'Show logs before a timestamp or relative (e.g. 42m)' },
      { name: 'timestamps', short: 't', type: 'bool', description: 'Show timestamps' },
      { name: 'details', type: 'bool', description: 'Show extra details provided to logs' },
    ],
  },
  async run(ctx, args) {
    const { ContainerService } = await import('../../runtime/service.js');
    const { printLogs, parseTimeArg } = await import('../../runtime/logs.js');
    const { paths } = await import('../../runtime/paths.js');
    const { TugError } = await import('../../util/errors.js');
    const svc = ContainerService.open(ctx.root, ctx.runRoot);
    const rec = await svc.get(args.positionals[0]);
    const tailArg = flag.str(args, 'tail');
    if (tailArg !== undefined && tailArg !== 'all' && !/^-?\d+$/.test(tailArg)) throw new TugError('INVALID_ARGUMENT', `invalid value for --tail: ${tailArg}`, { hint: 'a number of lines, or "all"' });
    const since = flag.str(args, 'since');
    const until = flag.str(args, 'until');
    await printLogs(paths.logFile(svc.p, rec.id), {
      follow: flag.bool(args, 'follow'),
      tail: tailArg === undefined || tailArg === 'all' ? undefined : Number(tailArg),
      sinceMs: since ? parseTimeArg(since) : undefined,
      untilMs: until ? parseTimeArg(until) : undefined,
      timestamps: flag.bool(args, 'timestamps'),
    }, ctx, async () => {
      const cur = svc.store.get(rec.id);
      if (!cur) return false;
      const st = (await svc.refresh(cur)).state.status;
      return st === 'running' || st === 'paused' || st === 'restarting';
    });
    return 0;
  },
};
export default command;
