// tug manifest inspect: the manifest or index a reference names, as the
// registry stores it; --verbose adds docker's per-platform descriptor view.
import { isIndexType, MediaType } from '../oci/mediatypes.js';
import type { Descriptor, Index } from '../oci/types.js';
import { RegistryClient, type ClientOptions, type FetchedManifest } from './client.js';
import { parseJson } from './pull.js';
import { canonical, familiar, parseRemote, remoteReference } from './remote-ref.js';

export interface InspectResult {
  reference: string;
  manifest: FetchedManifest;
  /** With verbose: one entry per manifest (the manifest itself, or each child of an index). */
  verbose?: Array<{ Ref: string; Descriptor: Descriptor; Raw: string; [k: string]: unknown }>;
}

export async function inspectManifest(reference: string, opts: ClientOptions & { verbose?: boolean } = {}): Promise<InspectResult> {
  const ref = parseRemote(reference);
  const client = RegistryClient.for(ref.host, opts);
  const manifest = await client.getManifest(ref.path, remoteReference(ref), familiar(ref));
  const out: InspectResult = { reference: canonical(ref), manifest };
  if (!opts.verbose) return out;
  const entry = (m: FetchedManifest, desc: Descriptor): InspectResult['verbose'] extends Array<infer T> | undefined ? T : never => {
    const key = m.mediaType === MediaType.DockerManifest ? 'SchemaV2Manifest' : 'OCIManifest';
    return { Ref: `${ref.repository}@${m.digest}`, Descriptor: desc, Raw: m.bytes.toString('base64'), [key]: parseJson<unknown>(m.bytes, 'manifest') };
  };
  if (isIndexType(manifest.mediaType)) {
    const index = parseJson<Index>(manifest.bytes, 'index');
    out.verbose = [];
    for (const d of index.manifests) {
      const child = await client.getManifest(ref.path, d.digest);
      out.verbose.push(entry(child, d));
    }
  } else {
    out.verbose = [entry(manifest, { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.bytes.length })];
  }
  return out;
}

/** docker prints manifests re-indented with three spaces. */
export function formatManifestJson(value: unknown): string {
  return JSON.stringify(value, null, 3) + '\n';
}
