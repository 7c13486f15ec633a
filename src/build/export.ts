// The image exporter: a stage's final state becomes a manifest and config in
// the content store and an image record (with tags) in the image service.
import type { ImageConfig, Manifest } from '../oci/types.js';
import { MediaType } from '../oci/mediatypes.js';
import { sha256 } from '../oci/digest.js';
import type { ImageRecord, ImageService } from '../image/service.js';
import { configBytes } from '../image/configjson.js';
import type { StageState } from './cache.js';

export interface ExportOptions {
  tags: string[];
  labels: Record<string, string>;
  created: string;
  parent: string | null;
  /** Extra top-level config keys (the inline build cache). */
  extraConfig?: Record<string, unknown>;
}

export function finalConfig(state: StageState, opts: Pick<ExportOptions, 'labels' | 'created'>): ImageConfig {
  const config: ImageConfig = JSON.parse(JSON.stringify(state.config)) as ImageConfig;
  config.created = opts.created;
  if (Object.keys(opts.labels).length) config.config = { ...config.config, Labels: { ...(config.config?.Labels ?? {}), ...opts.labels } };
  config.rootfs = { type: 'layers', diff_ids: state.layers.map((l) => l.diffID) };
  return config;
}

export async function writeImage(images: ImageService, state: StageState, opts: ExportOptions): Promise<ImageRecord> {
  const config = finalConfig(state, opts);
  // Go's encoding of the OCI config struct, so ids survive conversion by skopeo, podman and buildah
  let bytes = configBytes(config);
  if (opts.extraConfig && Object.keys(opts.extraConfig).length) {
    // keys outside the OCI struct (the inline build cache) go after it; Go tools drop them when they re-encode
    const extra = Object.keys(opts.extraConfig).sort().map((k) => `${JSON.stringify(k)}:${JSON.stringify(opts.extraConfig?.[k])}`).join(',');
    bytes = Buffer.concat([bytes.subarray(0, bytes.length - 1), Buffer.from(`,${extra}}`)]);
  }
  const configDesc = { mediaType: MediaType.OciConfig, digest: sha256(bytes), size: bytes.length };
  await images.content.write(bytes, { digest: configDesc.digest, size: configDesc.size });
  const manifest: Manifest = { schemaVersion: 2, mediaType: MediaType.OciManifest, config: configDesc, layers: state.layers.map((l) => l.blob) };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  const manifestDigest = sha256(manifestBytes);
  await images.content.write(manifestBytes, { digest: manifestDigest, size: manifestBytes.length });
  return images.addImage(manifestDigest, opts.tags, { parent: opts.parent });
}
