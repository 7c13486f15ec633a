// The argv a RUN/CMD/ENTRYPOINT becomes, as BuildKit builds it: exec form as
// is; shell form prefixed with the shell (SHELL, else /bin/sh -c); RUN
// heredocs either run as a script (`RUN <<EOF`), executed directly when the
// body starts with #!, or appended to the command line for the shell.
import { parseHeredoc } from './ast.js';
import type { CmdInstruction, EntrypointInstruction, RunInstruction } from './instructions.js';

export const DEFAULT_SHELL: readonly string[] = ['/bin/sh', '-c'];

export interface InlineScript {
  /** Where the builder must mount the file (read-only) for the command to run. */
  path: string;
  data: string;
  mode: number;
}

export interface RunInvocation {
  argv: string[];
  /** Files the command expects (a #! heredoc script), empty otherwise. */
  files: InlineScript[];
}

/** Shell form → [...shell, joined args]; exec form unchanged (CMD/ENTRYPOINT and RUN without heredocs). */
export function commandArgv(inst: Pick<CmdInstruction | EntrypointInstruction, 'command' | 'json'>, shell: readonly string[] = DEFAULT_SHELL): string[] {
  return inst.json ? [...inst.command] : [...shell, inst.command.join(' ')];
}

export function runInvocation(run: RunInstruction, shell: readonly string[] = DEFAULT_SHELL): RunInvocation {
  if (run.heredocs.length === 0 || run.json) return { argv: commandArgv(run, shell), files: [] };
  const cmd = run.command.join(' ');
  const only = parseHeredoc(cmd.trim());
  if (only && run.heredocs[0].name === only.name) {
    const doc = run.heredocs[0];
    if (doc.data.startsWith('#!')) {
      const path = `/dev/pipes/${doc.name}`;
      return { argv: [path], files: [{ path, data: doc.data, mode: 0o755 }] };
    }
    // The body is the script: works with shells that know nothing of heredocs.
    return { argv: [...shell, doc.data], files: [] };
  }
  // `cat <<EOF > file`: hand the shell the command line followed by each body and its delimiter.
  let script = cmd;
  for (const h of run.heredocs) script += '\n' + h.data + h.name;
  return { argv: [...shell, script], files: [] };
}
