// Docker-style flag parsing: `-it`, `-p80:80`, `-p 80:80`, `--name=x`,
// `--name x`, repeatable flags, `--` and, for verbs such as `run`, the first
// positional ends the flags (everything after it is the container command).
import { TugError } from '../util/errors.js';

export type FlagType = 'bool' | 'string' | 'list' | 'int';

export interface FlagSpec {
  name: string; // long name without dashes
  short?: string; // one letter
  type: FlagType;
  description?: string;
  default?: string | boolean | number;
  /** Parsed, but refused with "not supported yet" when given. */
  unsupported?: boolean;
}

export interface CommandSpec {
  name: string; // e.g. "image ls"
  usage: string; // e.g. "tug images [OPTIONS] [REPOSITORY[:TAG]]"
  description: string;
  flags: FlagSpec[];
  /** Stop flag parsing at the first positional argument (run, exec, create). */
  stopAtFirstPositional?: boolean;
  minArgs?: number;
  maxArgs?: number;
}

export interface ParsedArgs {
  flags: Map<string, string | boolean | number | string[]>;
  positionals: string[];
  help: boolean;
}

// docker's CLI exits 125 for any flag error, on every verb (cobra's FlagErrorFunc
// returns a StatusError with 125), and 1 for a wrong number of arguments.
function flagError(spec: CommandSpec, message: string): TugError {
  return new TugError('INVALID_ARGUMENT', message, { hint: `See 'tug ${spec.name} --help'.`, exitCode: 125 });
}

function argCountError(spec: CommandSpec, message: string): TugError {
  return new TugError('INVALID_ARGUMENT', message, { hint: `See 'tug ${spec.name} --help'.`, exitCode: 1 });
}

export function parseArgs(spec: CommandSpec, argv: string[]): ParsedArgs {
  const byLong = new Map(spec.flags.map((f) => [f.name, f]));
  const byShort = new Map(spec.flags.filter((f) => f.short).map((f) => [f.short as string, f]));
  const flags = new Map<string, string | boolean | number | string[]>();
  const positionals: string[] = [];
  let help = false;

  const set = (f: FlagSpec, raw: string | undefined, next: () => string | undefined, shown: string): void => {
    if (f.unsupported) throw new TugError('UNSUPPORTED', `${shown} is not supported yet`, { hint: `See 'tug ${spec.name} --help'.` });
    if (f.type === 'bool') {
      if (raw === undefined || raw === 'true') flags.set(f.name, true);
      else if (raw === 'false') flags.set(f.name, false);
      else throw flagError(spec, `invalid argument "${raw}" for "${shown}" flag: expected true or false`);
      return;
    }
    const value = raw ?? next();
    if (value === undefined) throw flagError(spec, `flag needs an argument: ${shown}`);
    if (f.type === 'int') {
      if (!/^-?\d+$/.test(value)) throw flagError(spec, `invalid argument "${value}" for "${shown}" flag: not an integer`);
      flags.set(f.name, Number(value));
    } else if (f.type === 'list') {
      const prev = flags.get(f.name);
      flags.set(f.name, Array.isArray(prev) ? [...prev, value] : [value]);
    } else flags.set(f.name, value);
  };

  let i = 0;
  const next = (): string | undefined => (i + 1 < argv.length ? argv[++i] : undefined);
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a === '--help' || a === '-h' && !byShort.has('h')) {
      help = true;
      continue;
    }
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      const f = byLong.get(name);
      if (!f) throw flagError(spec, `unknown flag: --${name}`);
      set(f, eq < 0 ? undefined : a.slice(eq + 1), next, `--${name}`);
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      // a cluster of short flags; a value-taking flag consumes the rest
      for (let j = 1; j < a.length; j++) {
        const c = a[j];
        const f = byShort.get(c);
        if (!f) throw flagError(spec, `unknown shorthand flag: '${c}' in ${a}`);
        if (f.type === 'bool') {
          set(f, undefined, next, `-${c}`);
          continue;
        }
        let rest = a.slice(j + 1);
        if (rest.startsWith('=')) rest = rest.slice(1);
        set(f, rest === '' ? undefined : rest, next, `-${c}`);
        break;
      }
      continue;
    }
    positionals.push(a);
    if (spec.stopAtFirstPositional) {
      positionals.push(...argv.slice(i + 1));
      break;
    }
  }
  if (!help) {
    if (spec.minArgs !== undefined && positionals.length < spec.minArgs) {
      throw argCountError(spec, `"tug ${spec.name}" requires ${spec.minArgs === 1 ? 'at least 1 argument' : `at least ${spec.minArgs} arguments`}`);
    }
    if (spec.maxArgs !== undefined && positionals.length > spec.maxArgs) {
      throw argCountError(spec, `"tug ${spec.name}" accepts ${spec.maxArgs === 0 ? 'no arguments' : `at most ${spec.maxArgs} argument${spec.maxArgs === 1 ? '' : 's'}`}`);
    }
  }
  for (const f of spec.flags) if (f.default !== undefined && !flags.has(f.name)) flags.set(f.name, f.default);
  return { flags, positionals, help };
}

// Typed accessors, so commands read flags without casts.
export const flag = {
  bool: (p: ParsedArgs, name: string): boolean => p.flags.get(name) === true,
  str: (p: ParsedArgs, name: string): string | undefined => {
    const v = p.flags.get(name);
    return typeof v === 'string' ? v : undefined;
  },
  int: (p: ParsedArgs, name: string): number | undefined => {
    const v = p.flags.get(name);
    return typeof v === 'number' ? v : undefined;
  },
  list: (p: ParsedArgs, name: string): string[] => {
    const v = p.flags.get(name);
    return Array.isArray(v) ? v : [];
  },
  has: (p: ParsedArgs, name: string): boolean => p.flags.has(name),
};

export function helpText(spec: CommandSpec): string {
  const lines = [`Usage:  ${spec.usage}`, '', spec.description, ''];
  if (spec.flags.length) {
    lines.push('Options:');
    for (const f of spec.flags) {
      const names = `${f.short ? `-${f.short}, ` : '    '}--${f.name}${f.type === 'bool' ? '' : f.type === 'int' ? ' int' : ' string'}`;
      lines.push(`  ${names.padEnd(30)} ${f.description ?? ''}${f.unsupported ? ' (not supported yet)' : ''}`);
    }
  }
  return lines.join('\n') + '\n';
}
