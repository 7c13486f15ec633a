// Instruction flags (`--from=x`, `--link`, repeated `--mount=…`), checked the
// way BuildKit's BFlags does: unknown flags are refused with a suggestion,
// booleans take an optional true/false, strings need a value.
import { DockerfileError } from './errors.js';
import { suggest } from './suggest.js';

export type FlagKind = 'bool' | 'string' | 'strings';

export interface ParsedFlags {
  bool(name: string): boolean;
  string(name: string): string | undefined;
  strings(name: string): string[];
  /** Names of the flags that appeared, in order of first use. */
  used: string[];
}

/** Parses raw flag words against the flags an instruction accepts. */
const NO_FLAGS: ParsedFlags = { bool: () => false, string: () => undefined, strings: () => [], used: [] };

export function parseFlags(instruction: string, raw: string[], accepted: Record<string, FlagKind>): ParsedFlags {
  if (raw.length === 0) return NO_FLAGS;
  const values = new Map<string, string[]>();
  const used: string[] = [];
  for (const arg of raw) {
    if (!arg.startsWith('--')) throw new DockerfileError(`arg should start with -- : ${arg}`);
    if (arg === '--') break;
    const body = arg.slice(2);
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    const value = eq < 0 ? undefined : body.slice(eq + 1);
    const kind = Object.prototype.hasOwnProperty.call(accepted, name) ? accepted[name] : undefined;
    if (!kind) {
      const names = Object.keys(accepted);
      const s = suggest(name, names, true);
      throw new DockerfileError(`unknown flag: ${name}${s ? ` (did you mean ${s}?)` : ''}`, {
        hint: names.length ? `${instruction} accepts ${names.map((n) => '--' + n).join(', ')}` : `${instruction} takes no flags`,
      });
    }
    if (values.has(name) && kind !== 'strings') throw new DockerfileError(`duplicate flag specified: ${name}`);
    if (!values.has(name)) {
      values.set(name, []);
      used.push(name);
    }
    const list = values.get(name) as string[];
    if (kind === 'bool') {
      if (value === '') throw new DockerfileError(`missing a value on flag: ${name}`);
      const v = (value ?? '').toLowerCase();
      if (v === 'true' || v === '') list.push('true');
      else if (v === 'false') list.push('false');
      else throw new DockerfileError(`expecting boolean value for flag ${name}, not: ${value}`);
    } else {
      if (value === undefined) throw new DockerfileError(`missing a value on flag: ${name}`);
      list.push(value);
    }
  }
  return {
    bool: (n) => values.get(n)?.[0] === 'true',
    string: (n) => values.get(n)?.[0],
    strings: (n) => values.get(n) ?? [],
    used,
  };
}

/** Go's strconv.ParseBool. */
export function parseGoBool(s: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return undefined;
}

const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration, in nanoseconds; undefined when invalid. */
export function parseGoDuration(s: string): number | undefined {
  let rest = s;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest[0] === '-') sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') return undefined;
  let total = 0;
  const re = /^([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)/;
  while (rest.length > 0) {
    const m = re.exec(rest);
    if (!m || m[1] === '' || m[1] === '.') return undefined;
    total += Number(m[1]) * UNIT_NS[m[2]];
    rest = rest.slice(m[0].length);
  }
  return sign * total;
}
