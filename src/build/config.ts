// How each metadata instruction changes the image config, and the history
// line it leaves, as BuildKit writes them (`created_by`, `empty_layer`).
import type { ContainerConfig, HealthConfig, HistoryEntry, ImageConfig } from '../oci/types.js';
import type { Instruction } from '../dockerfile/instructions.js';
import { commandArgv, DEFAULT_SHELL } from '../dockerfile/command.js';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function emptyConfig(platform: { os: string; architecture: string; variant?: string }): ImageConfig {
  return {
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    config: { Env: [`PATH=${DEFAULT_PATH}`] },
    rootfs: { type: 'layers', diff_ids: [] },
    history: [],
  };
}

export function cloneConfig(c: ImageConfig): ImageConfig {
  return JSON.parse(JSON.stringify(c)) as ImageConfig;
}

export function envMap(c: ContainerConfig | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const kv of c?.Env ?? []) {
    const eq = kv.indexOf('=');
    if (eq < 0) m.set(kv, '');
    else m.set(kv.slice(0, eq), kv.slice(eq + 1));
  }
  return m;
}

export function envList(m: Map<string, string>): string[] {
  return [...m].map(([k, v]) => `${k}=${v}`);
}

/** Go's fmt %v of a []string, as BuildKit's history lines show slices: [a b c]. */
function goSlice(a: string[]): string {
  return `[${a.join(' ')}]`;
}

function goDuration(ns: number): string {
  if (!ns) return '0s';
  const s = ns / 1e9;
  if (s >= 60 && s % 60 === 0) return `${s / 60}m0s`;
  return `${Number.isInteger(s) ? s : s.toFixed(3).replace(/0+$/, '')}s`;
}

export interface MetaResult {
  config: ImageConfig;
  history: HistoryEntry;
}

/**
 * Applies a metadata-only instruction (already expanded) to a config.
 * Returns undefined for instructions that change the filesystem.
 */
export function applyMetadata(base: ImageConfig, inst: Instruction, now: string, stage: { cmdSet: boolean }): MetaResult | undefined {
  const config = cloneConfig(base);
  const cc: ContainerConfig = (config.config ??= {});
  const hist = (createdBy: string): MetaResult => ({ config, history: { created: now, created_by: createdBy, comment: 'buildkit.dockerfile.v0', empty_layer: true } });
  switch (inst.kind) {
    case 'ENV': {
      const env = envMap(cc);
      for (const { key, value } of inst.pairs) env.set(key, value);
      cc.Env = envList(env);
      return hist(`ENV ${inst.pairs.map((p) => `${p.key}=${p.value}`).join(' ')}`);
    }
    case 'LABEL': {
      cc.Labels = { ...(cc.Labels ?? {}) };
      for (const { key, value } of inst.pairs) cc.Labels[key] = value;
      return hist(`LABEL ${inst.pairs.map((p) => `${p.key}=${p.value}`).join(' ')}`);
    }
    case 'EXPOSE': {
      cc.ExposedPorts = { ...(cc.ExposedPorts ?? {}) };
      const added: string[] = [];
      for (const p of inst.ports) {
        const [range, proto = 'tcp'] = p.split('/');
        const [lo, hi = lo] = range.split('-').map(Number);
        for (let port = lo; port <= hi; port++) {
          const key = `${port}/${proto.toLowerCase()}`;
          cc.ExposedPorts[key] = {};
          added.push(`${key}:{}`);
        }
      }
      return hist(`EXPOSE map[${added.join(' ')}]`);
    }
    case 'VOLUME': {
      cc.Volumes = { ...(cc.Volumes ?? {}) };
      for (const p of inst.paths) cc.Volumes[p] = {};
      return hist(`VOLUME ${goSlice(inst.paths)}`);
    }
    case 'USER':
      cc.User = inst.user;
      return hist(`USER ${inst.user}`);
    case 'CMD':
      cc.Cmd = commandArgv(inst, cc.Shell ?? DEFAULT_SHELL);
      stage.cmdSet = true;
      return hist(`CMD ${JSON.stringify(cc.Cmd)}`);
    case 'ENTRYPOINT':
      cc.Entrypoint = commandArgv(inst, cc.Shell ?? DEFAULT_SHELL);
      // Docker: ENTRYPOINT resets a CMD inherited from the base image, not one set in this stage
      if (!stage.cmdSet) cc.Cmd = null;
      return hist(`ENTRYPOINT ${JSON.stringify(cc.Entrypoint)}`);
    case 'SHELL':
      cc.Shell = inst.shell;
      return hist(`SHELL ${goSlice(inst.shell)}`);
    case 'STOPSIGNAL':
      cc.StopSignal = inst.signal;
      return hist(`STOPSIGNAL ${inst.signal}`);
    case 'HEALTHCHECK': {
      if (inst.test.length === 1 && inst.test[0] === 'NONE') cc.Healthcheck = { Test: ['NONE'] };
      else {
        const h: HealthConfig = { Test: inst.test };
        if (inst.interval) h.Interval = inst.interval;
        if (inst.timeout) h.Timeout = inst.timeout;
        if (inst.startPeriod) h.StartPeriod = inst.startPeriod;
        if (inst.startInterval) h.StartInterval = inst.startInterval;
        if (inst.retries) h.Retries = inst.retries;
        cc.Healthcheck = h;
      }
      const t = inst.test.map((x) => JSON.stringify(x)).join(' ');
      return hist(
        `HEALTHCHECK &{[${t}] "${goDuration(inst.interval)}" "${goDuration(inst.timeout)}" "${goDuration(inst.startPeriod)}" "${goDuration(inst.startInterval)}" '\\x${inst.retries.toString(16).padStart(2, '0')}'}`,
      );
    }
    case 'ONBUILD':
      cc.OnBuild = [...(cc.OnBuild ?? []), inst.expression];
      return hist(`ONBUILD ${inst.expression}`);
    case 'MAINTAINER':
      config.author = inst.maintainer;
      return hist(`MAINTAINER ${inst.maintainer}`);
    case 'ARG':
      return hist(`ARG ${inst.args.map((a) => (a.value === undefined ? a.key : `${a.key}=${a.value}`)).join(' ')}`);
    default:
      return undefined;
  }
}

/** Working directory after `WORKDIR path` (relative paths join the current one). */
export function resolveWorkdir(current: string | undefined, path: string): string {
  const joined = path.startsWith('/') ? path : `${current && current !== '' ? current : '/'}/${path}`;
  const out: string[] = [];
  for (const part of joined.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}
