// `--change` for import/commit: the Dockerfile instructions docker accepts
// there (CMD ENTRYPOINT ENV EXPOSE LABEL ONBUILD STOPSIGNAL USER VOLUME
// WORKDIR), applied to a container config. A deliberately small parser:
// JSON or shell form, quotes and backslashes, $VAR/${VAR} from the config's env.
import { posix } from 'node:path';
import type { ContainerConfig } from '../oci/types.js';
import { TugError } from '../util/errors.js';

const ALLOWED = ['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'LABEL', 'ONBUILD', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR'];

function bad(change: string, why: string): TugError {
  return new TugError('INVALID_ARGUMENT', `invalid --change "${change}": ${why}`, {
    hint: `--change takes one Dockerfile instruction: ${ALLOWED.join(', ')}, e.g. --change 'CMD ["sh"]'`,
  });
}

/** Shell-like words: quotes group, backslash escapes, $VAR expands from env (not inside single quotes). */
export function shellWords(s: string, env: Record<string, string>, change: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let i = 0;
  const expand = (): string => {
    // at s[i] === '$'
    if (s[i + 1] === '{') {
      const end = s.indexOf('}', i + 2);
      if (end < 0) throw bad(change, 'missing } in ${...}');
      const name = s.slice(i + 2, end);
      i = end + 1;
      return env[name] ?? '';
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(i + 1));
    if (!m) { i++; return '$'; }
    i += 1 + m[0].length;
    return env[m[0]] ?? '';
  };
  while (i < s.length) {
    const c = s[i];
    if (/\s/.test(c)) {
      if (inWord) { words.push(cur); cur = ''; inWord = false; }
      i++;
      continue;
    }
    inWord = true;
    if (c === '\\' && i + 1 < s.length) { cur += s[i + 1]; i += 2; continue; }
    if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) throw bad(change, 'unmatched single quote');
      cur += s.slice(i + 1, end);
      i = end + 1;
      continue;
    }
    if (c === '"') {
      i++;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === '\\' && i + 1 < s.length && '"\\$'.includes(s[i + 1])) { cur += s[i + 1]; i += 2; }
        else if (s[i] === '$') cur += expand();
        else cur += s[i++];
      }
      if (i >= s.length) throw bad(change, 'unmatched double quote');
      i++;
      continue;
    }
    if (c === '$') { cur += expand(); continue; }
    cur += c;
    i++;
  }
  if (inWord) words.push(cur);
  return words;
}

function jsonArray(rest: string): string[] | undefined {
  if (!rest.startsWith('[')) return undefined;
  try {
    const v = JSON.parse(rest) as unknown;
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch {
    /* not JSON: shell form */
  }
  return undefined;
}

function envMap(cfg: ContainerConfig): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of cfg.Env ?? []) {
    const i = e.indexOf('=');
    if (i > 0) out[e.slice(0, i)] = e.slice(i + 1);
  }
  return out;
}

/** key=value pairs (or the legacy "KEY value" form when allowLegacy). */
function pairs(words: string[], rest: string, change: string, allowLegacy: boolean, env: Record<string, string>): Array<[string, string]> {
  if (!words.length) throw bad(change, 'needs at least one argument');
  if (!words[0].includes('=')) {
    if (!allowLegacy) throw bad(change, `expected key=value, got "${words[0]}"`);
    const m = /^(\S+)\s+(.*)$/s.exec(rest);
    if (!m) throw bad(change, 'needs a value');
    return [[m[1], shellWords(m[2], env, change).join(' ')]];
  }
  return words.map((w) => {
    const i = w.indexOf('=');
    if (i <= 0) throw bad(change, `expected key=value, got "${w}"`);
    return [w.slice(0, i), w.slice(i + 1)];
  });
}

/** Applies one --change to a copy of cfg. */
export function applyChange(cfg: ContainerConfig, change: string): ContainerConfig {
  const m = /^\s*(\w+)\s*(.*?)\s*$/s.exec(change);
  if (!m) throw bad(change, 'empty instruction');
  const instr = m[1].toUpperCase();
  const rest = m[2];
  if (!ALLOWED.includes(instr)) throw bad(change, `${m[1]} is not a valid change command`);
  const out: ContainerConfig = { ...cfg };
  const env = envMap(cfg);
  switch (instr) {
    case 'CMD':
    case 'ENTRYPOINT': {
      if (!rest) throw bad(change, `${instr} needs a command`);
      const argv = jsonArray(rest) ?? ['/bin/sh', '-c', rest];
      if (instr === 'CMD') out.Cmd = argv;
      else {
        out.Entrypoint = argv;
        // as docker: a new entrypoint resets an inherited CMD only in a build; import keeps it
      }
      break;
    }
    case 'ENV': {
      const kv = pairs(shellWords(rest, env, change), rest, change, true, env);
      const list = [...(cfg.Env ?? [])];
      for (const [k, v] of kv) {
        const i = list.findIndex((e) => e.startsWith(`${k}=`));
        if (i >= 0) list[i] = `${k}=${v}`;
        else list.push(`${k}=${v}`);
      }
      out.Env = list;
      break;
    }
    case 'LABEL': {
      const kv = pairs(shellWords(rest, env, change), rest, change, true, env);
      out.Labels = { ...(cfg.Labels ?? {}) };
      for (const [k, v] of kv) out.Labels[k] = v;
      break;
    }
    case 'EXPOSE': {
      const ports = shellWords(rest, env, change);
      if (!ports.length) throw bad(change, 'EXPOSE needs at least one port');
      out.ExposedPorts = { ...(cfg.ExposedPorts ?? {}) };
      for (const p of ports) {
        const pm = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(p);
        if (!pm) throw bad(change, `invalid port "${p}"`);
        const proto = (pm[3] ?? 'tcp').toLowerCase();
        const lo = Number(pm[1]);
        const hi = Number(pm[2] ?? pm[1]);
        if (lo < 1 || hi > 65535 || hi < lo) throw bad(change, `invalid port range "${p}"`);
        for (let n = lo; n <= hi; n++) out.ExposedPorts[`${n}/${proto}`] = {};
      }
      break;
    }
    case 'VOLUME': {
      const vols = jsonArray(rest) ?? shellWords(rest, env, change);
      if (!vols.length) throw bad(change, 'VOLUME needs a path');
      out.Volumes = { ...(cfg.Volumes ?? {}) };
      for (const v of vols) out.Volumes[v] = {};
      break;
    }
    case 'USER':
    case 'STOPSIGNAL':
    case 'WORKDIR': {
      const words = shellWords(rest, env, change);
      if (words.length !== 1) throw bad(change, `${instr} takes exactly one argument`);
      if (instr === 'USER') out.User = words[0];
      else if (instr === 'STOPSIGNAL') {
        if (!/^(SIG)?[A-Z0-9+-]+$|^\d+$/.test(words[0])) throw bad(change, `invalid signal "${words[0]}"`);
        out.StopSignal = words[0];
      } else out.WorkingDir = posix.resolve(cfg.WorkingDir || '/', words[0]);
      break;
    }
    case 'ONBUILD': {
      const inner = /^\s*(\w+)/.exec(rest)?.[1]?.toUpperCase();
      if (!inner) throw bad(change, 'ONBUILD needs an instruction');
      if (inner === 'ONBUILD' || inner === 'FROM' || inner === 'MAINTAINER') throw bad(change, `${inner} isn't allowed as an ONBUILD trigger`);
      out.OnBuild = [...(cfg.OnBuild ?? []), rest];
      break;
    }
  }
  return out;
}

export function applyChanges(cfg: ContainerConfig, changes: string[]): ContainerConfig {
  return changes.reduce(applyChange, cfg);
}
