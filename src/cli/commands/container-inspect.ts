import type { Command } from '../command.js';
import { flag } from '../args.js';
import { renderTemplate } from './container-format.js';

const command: Command = {
  spec: {
    name: 'container inspect', usage: 'tug container inspect [OPTIONS] CONTAINER [CONTAINER...]', description: 'Display detailed information on one or more containers', minArgs: 1,
    flags: [
      { name: 'format', short: 'f', type: 'string', description: 'Format output using a Go template subset' },
      { name: 'size', short: 's', type: 'bool', description: 'Display total file sizes' },
    ],
  },
  async run(ctx, args) {
    const { inspectContainers } = await import('../../runtime/inspect.js');
    const { results, errors } = await inspectContainers(ctx.root, ctx.runRoot, args.positionals);
    const fmt = flag.str(args, 'format');
    const { formatValue, goJson } = await import('../format.js');
    if (fmt && fmt !== 'json') for (const r of results) ctx.stdout.write(formatValue(fmt, r as Parameters<typeof formatValue>[1]));
    else ctx.stdout.write(goJson(results as Parameters<typeof goJson>[0], 4) + '\n');
    for (const e of errors) ctx.stderr.write(`Error: ${e}\n`);
    return errors.length ? 1 : 0;
  },
};

/** Templates over nested fields: {{.State.Status}}, {{.State.Health.Status}}, {{json .Mounts}}. */
export function renderInspect(fmt: string, obj: Record<string, unknown>): string {
  const get = (path: string): unknown => path.split('.').filter(Boolean).reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), obj);
  return fmt.replace(/\{\{\s*(json\s+)?(\.[\w.]*)\s*\}\}/g, (_m, json: string | undefined, path: string) => {
    const v = path === '.' ? obj : get(path);
    if (json) return JSON.stringify(v);
    if (v === undefined) return '<no value>';
    if (v === null) return '<nil>';
    return typeof v === 'object' ? (Array.isArray(v) ? `[${v.join(' ')}]` : `map[${Object.entries(v).map(([k, x]) => `${k}:${x}`).join(' ')}]`) : String(v);
  }).replace(/\{\{[^}]*\}\}/g, (m) => renderTemplate(m, {}));
}
export default command;
