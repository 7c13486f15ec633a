// Image configs serialised exactly as Go's encoding/json writes the OCI
// image-spec structs (field order, omitempty, sorted map keys, HTML escaping,
// RFC 3339 times without trailing zeros). Tools written in Go (skopeo,
// podman, buildah) re-marshal a Docker config into that form when they
// convert to OCI; an image whose config already is that form keeps its
// config digest, and so its id, through any such copy.
import type { ContainerConfig, HealthConfig, HistoryEntry, ImageConfig } from '../oci/types.js';

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

function goEscape(s: string): string {
  return s.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** Ordered JSON: objects are [key, value] lists so field order is ours, not insertion's. */
type Ordered = Json | OrderedObject | Ordered[];
class OrderedObject {
  constructor(readonly entries: Array<[string, Ordered]>) {}
}

function emit(v: Ordered): string {
  if (v instanceof OrderedObject) return `{${v.entries.map(([k, x]) => `${goEscape(JSON.stringify(k))}:${emit(x)}`).join(',')}}`;
  if (Array.isArray(v)) return `[${v.map(emit).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    // a plain map (map[string]T in Go): keys sorted
    return emit(new OrderedObject(Object.keys(v).sort().map((k) => [k, (v as Record<string, Json>)[k]])));
  }
  return goEscape(JSON.stringify(v));
}

function obj(fields: Array<[string, Ordered | undefined, boolean?]>): OrderedObject {
  // third element: keep even when empty (no omitempty)
  return new OrderedObject(
    fields.filter(([, v, keep]) => keep || !(v === undefined || v === null || v === '' || v === false || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && !(v instanceof OrderedObject) && v !== null && !Array.isArray(v) && Object.keys(v).length === 0))) as Array<[string, Ordered]>,
  );
}

/** Go's time.Time RFC3339Nano form of an ISO time: fraction without trailing zeros. */
export function goTimeString(iso: string | undefined): string | undefined {
  if (!iso) return iso;
  return iso.replace(/\.(\d*?)0+(Z|[+-]\d\d:\d\d)$/, (_m, frac: string, zone: string) => (frac ? `.${frac}${zone}` : zone));
}

function health(h: HealthConfig | undefined): OrderedObject | undefined {
  if (!h) return undefined;
  return obj([['Test', h.Test], ['Interval', h.Interval], ['Timeout', h.Timeout], ['StartPeriod', h.StartPeriod], ['StartInterval', h.StartInterval], ['Retries', h.Retries]]);
}

function containerConfig(c: ContainerConfig): OrderedObject {
  return obj([
    ['User', c.User],
    ['ExposedPorts', c.ExposedPorts as Json | undefined],
    ['Env', c.Env],
    ['Entrypoint', c.Entrypoint ?? undefined],
    ['Cmd', c.Cmd ?? undefined],
    ['Volumes', c.Volumes as Json | undefined],
    ['WorkingDir', c.WorkingDir],
    ['Labels', c.Labels],
    ['StopSignal', c.StopSignal],
    ['ArgsEscaped', c.ArgsEscaped],
    // Docker's extensions (not in the OCI struct) after the OCI fields
    ['Healthcheck', health(c.Healthcheck)],
    ['OnBuild', c.OnBuild ?? undefined],
    ['Shell', c.Shell],
  ]);
}

function historyEntry(h: HistoryEntry): OrderedObject {
  return obj([['created', goTimeString(h.created)], ['created_by', h.created_by], ['author', h.author], ['comment', h.comment], ['empty_layer', h.empty_layer]]);
}

/** The canonical bytes of an image config. */
export function configBytes(c: ImageConfig & { 'os.version'?: string; 'os.features'?: string[] }): Buffer {
  return Buffer.from(emit(obj([
    ['created', goTimeString(c.created)],
    ['author', c.author],
    ['architecture', c.architecture, true],
    ['variant', c.variant],
    ['os', c.os, true],
    ['os.version', c['os.version']],
    ['os.features', c['os.features']],
    ['config', containerConfig(c.config ?? {}), true],
    ['rootfs', obj([['type', c.rootfs.type, true], ['diff_ids', c.rootfs.diff_ids, true]]), true],
    ['history', c.history?.map(historyEntry)],
  ])));
}
