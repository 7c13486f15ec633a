import type { Command } from '../command.js';

const command: Command = {
  spec: {
    name: 'port', usage: 'tug port CONTAINER [PRIVATE_PORT[/PROTO]]', description: 'List port mappings or a specific mapping for the container', minArgs: 1, maxArgs: 2,
    flags: [],
  },
  async run(ctx, args) {
    const { TugError } = await import('../../util/errors.js');
    const { portsOf } = await import('../../network/connect.js');
    const [container, which] = args.positionals;
    const { isTugError } = await import('../../util/errors.js');
    let ports: import('../../network/types.js').PortMapping[];
    try {
      ports = portsOf(ctx.root, container);
    } catch (e) {
      if (!isTugError(e, 'NOT_FOUND')) throw e;
      // not running: docker prints nothing for a stopped container, an error for an unknown one
      const { ContainerStore } = await import('../../runtime/store.js');
      if (!ContainerStore.open(ctx.root).find(container)) throw new TugError('NOT_FOUND', `No such container: ${container}`, { hint: "See 'tug ps -a' for the containers there are." });
      ports = [];
    }
    const lines: Array<{ port: number; proto: string; text: string }> = [];
    for (const p of ports) {
      for (let i = 0; i < p.range; i++) {
        lines.push({ port: p.containerPort + i, proto: p.protocol, text: `${p.hostIp || '0.0.0.0'}:${p.hostPort + i}` });
      }
    }
    lines.sort((a, b) => a.port - b.port || a.proto.localeCompare(b.proto));
    if (which !== undefined) {
      const m = /^(\d+)(?:\/(tcp|udp|sctp))?$/.exec(which);
      if (!m) throw new TugError('INVALID_ARGUMENT', `invalid port: ${which}`, { hint: 'e.g. tug port web 80/tcp' });
      const proto = m[2] ?? 'tcp';
      const hits = lines.filter((l) => l.port === Number(m[1]) && l.proto === proto);
      if (!hits.length) throw new TugError('NOT_FOUND', `no public port '${m[1]}/${proto}' published for ${container}`);
      ctx.stdout.write(hits.map((h) => `${h.text}\n`).join(''));
      return 0;
    }
    ctx.stdout.write(lines.map((l) => `${l.port}/${l.proto} -> ${l.text}\n`).join(''));
    return 0;
  },
};
export default command;
