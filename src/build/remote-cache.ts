// The seam between the builder and external caches (--cache-from/--cache-to):
// an importer answers for a step key with a stage state whose blobs it has
// fetched into the content store; an exporter receives every step of the
// build (and the cache mounts it used) when the build succeeds.
import type { StageState } from './cache.js';

export interface CacheImporter {
  lookup(key: string): Promise<StageState | undefined>;
  /** Before a RUN with a cache mount runs: fill the mount's directory from the cache when it is empty here. */
  restoreCacheMount?(id: string): Promise<void>;
}

export interface ExportedStep {
  key: string;
  state: StageState;
  /** Stage name (or stage-N), and whether the step belongs to the exported image's own chain (mode=min). */
  stage: string;
  inTarget: boolean;
}

export interface CacheExporter {
  export(steps: ExportedStep[], cacheMountIds: string[]): Promise<void>;
  /** Called as each step finishes (uploads may start while the build goes on). */
  stepDone?(step: ExportedStep): void;
  /** type=inline: extra top-level image-config keys, asked for before the image is written. */
  inline?(steps: ExportedStep[]): Record<string, unknown> | undefined;
}
