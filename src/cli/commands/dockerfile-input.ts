// Shared by `tug dockerfile parse|check`: read FILE or stdin ("-"), parse build args.
import { readFile } from 'node:fs/promises';
import type { CliContext } from '../context.js';
import { errnoCode, TugError } from '../../util/errors.js';

export async function readDockerfileInput(ctx: CliContext, path: string): Promise<{ text: string; filename: string }> {
  if (path === '-') {
    const chunks: Buffer[] = [];
    for await (const c of ctx.stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
    return { text: Buffer.concat(chunks).toString('utf8'), filename: 'Dockerfile' };
  }
  try {
    return { text: await readFile(path, 'utf8'), filename: path };
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'ENOENT') throw new TugError('NOT_FOUND', `${path}: no such file`, { hint: 'give the path of a Dockerfile, or - for stdin' });
    if (code === 'EISDIR') throw new TugError('INVALID_ARGUMENT', `${path} is a directory`, { hint: `try ${path.replace(/\/$/, '')}/Dockerfile` });
    throw new TugError('PERMISSION_DENIED', `cannot read ${path}: ${code ?? String(e)}`);
  }
}

/** --build-arg KEY=VALUE (or KEY, taken from the environment as docker does). */
export function parseBuildArgs(list: string[], env: NodeJS.ProcessEnv): Map<string, string> {
  const m = new Map<string, string>();
  for (const a of list) {
    const eq = a.indexOf('=');
    if (eq === 0) throw new TugError('INVALID_ARGUMENT', `invalid build arg "${a}"`, { hint: '--build-arg NAME=VALUE' });
    if (eq < 0) {
      const v = env[a];
      if (v !== undefined) m.set(a, v);
    } else m.set(a.slice(0, eq), a.slice(eq + 1));
  }
  return m;
}
