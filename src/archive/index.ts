// Layer tars: apply securely, create deterministically, diff, compress.
export { applyLayer, WHITEOUT_PREFIX, OPAQUE_WHITEOUT, type ApplyOptions, type ApplyResult } from './apply.js';
export { tarDirectory, tarOverlayUpper, tarDiff, type CreateOptions } from './create.js';
export { changes, changesBetween, lookupLayered, type Change, type ChangeKind } from './changes.js';
export { openLayerStream, decompressStream, sniffCompression, gzipLayer, zstdLayer, DEFAULT_GZIP_LEVEL, type Compression, type OpenedLayer } from './compression.js';
export { chainID, chainIDs, writeLayer, type LayerDigests, type WriteLayerOptions } from './layer.js';
export { TarReader, type TarEntry } from './tar-reader.js';
export type { TarHeader, EntryType } from './tar-header.js';
