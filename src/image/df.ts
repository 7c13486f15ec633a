// `system df`: disk use of images (unique layers once), containers, volumes
// and the build cache, from each module's tables when they exist.
import type { Db } from '../meta/db.js';
import { humanSize } from './human.js';
import { imagesInUse } from './inuse.js';
import type { ImageService } from './service.js';

export interface DfRow {
  Type: string;
  TotalCount: number;
  Active: number;
  Size: string;
  Reclaimable: string;
}

function tableExists(db: Db, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

function pct(part: number, total: number): string {
  return total > 0 ? ` (${Math.round((part / total) * 100)}%)` : '';
}

export function diskUsage(svc: ImageService, containerSizes: { total: number; reclaimable: number } = { total: 0, reclaimable: 0 }): DfRow[] {
  const db = svc.db;
  const images = svc.list();
  const inUse = imagesInUse(db);
  // Each layer blob counts once however many images share it.
  const layerSize = new Map<string, number>();
  const activeLayers = new Set<string>();
  for (const img of images) {
    for (const l of img.layers) {
      layerSize.set(l.diffID, l.diffSize);
      if (inUse.has(img.id)) activeLayers.add(l.diffID);
    }
  }
  const total = [...layerSize.values()].reduce((a, b) => a + b, 0);
  const reclaimable = [...layerSize].filter(([d]) => !activeLayers.has(d)).reduce((a, [, s]) => a + s, 0);
  const rows: DfRow[] = [
    { Type: 'Images', TotalCount: images.length, Active: images.filter((i) => inUse.has(i.id)).length, Size: humanSize(total), Reclaimable: `${humanSize(reclaimable)}${pct(reclaimable, total)}` },
  ];
  let containers = 0;
  let running = 0;
  if (tableExists(db, 'containers')) {
    containers = (db.prepare('SELECT COUNT(*) AS n FROM containers').get() as { n: number }).n;
    try {
      running = (db.prepare("SELECT COUNT(*) AS n FROM containers WHERE status IN ('running', 'paused', 'restarting')").get() as { n: number }).n;
    } catch {
      running = 0;
    }
  }
  rows.push({ Type: 'Containers', TotalCount: containers, Active: running, Size: humanSize(containerSizes.total), Reclaimable: `${humanSize(containerSizes.reclaimable)}${pct(containerSizes.reclaimable, containerSizes.total)}` });
  const volumes = tableExists(db, 'volumes') ? (db.prepare('SELECT COUNT(*) AS n FROM volumes').get() as { n: number }).n : 0;
  rows.push({ Type: 'Local Volumes', TotalCount: volumes, Active: 0, Size: '0B', Reclaimable: '0B' });
  let cacheCount = 0;
  let cacheSize = 0;
  if (tableExists(db, 'build_cache')) {
    const r = db.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS s FROM build_cache').get() as { n: number; s: number };
    cacheCount = r.n;
    cacheSize = r.s;
  }
  rows.push({ Type: 'Build Cache', TotalCount: cacheCount, Active: 0, Size: humanSize(cacheSize), Reclaimable: humanSize(cacheSize) });
  return rows;
}

export const DF_HEADERS: Record<string, string> = { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' };
