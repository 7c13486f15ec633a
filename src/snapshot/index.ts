// Snapshots of unpacked layers (overlayfs, or full copies where overlay is unavailable).
export { Snapshotter, MAX_OVERLAY_LAYERS, type SnapshotDriver, type SnapshotterOptions, type Change } from './snapshotter.js';
export { snapshotMigrations, type SnapshotKind } from './store.js';
export { isMountPoint, mountPoints, type MountSpec } from './mounts.js';
export { chainID, chainIDs } from '../archive/layer.js';
