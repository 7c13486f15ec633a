// Which containers use an image. The runtime owns the `containers` table; this
// hook reads it when it exists so `rmi` and `image prune` refuse images in use.
// RUNTIME ENGINEER: adjust the query below to your schema (column names are
// looked up, so `image_id` + `state`/`status` + `name` work as they are).
import type { Db } from '../meta/db.js';
import type { Digest } from '../oci/types.js';

export interface ContainerUse {
  id: string;
  name: string;
  running: boolean;
}

function columns(db: Db, table: string): Set<string> {
  return new Set((db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).map((c) => c.name));
}

/** Containers (running or not) created from image `id`. Empty until the runtime creates its table. */
export function containersUsingImage(db: Db, id: Digest): ContainerUse[] {
  const cols = columns(db, 'containers');
  if (!cols.size) return [];
  const imageCol = ['image_id', 'image'].find((c) => cols.has(c));
  if (!imageCol) return [];
  const stateCol = ['state', 'status'].find((c) => cols.has(c));
  const nameCol = cols.has('name') ? 'name' : 'id';
  const rows = db.prepare(`SELECT id, ${nameCol} AS name${stateCol ? `, ${stateCol} AS state` : ''} FROM containers WHERE ${imageCol} = ?`).all(id) as Array<{ id: string; name: string; state?: string }>;
  return rows.map((r) => ({ id: String(r.id), name: String(r.name), running: /^(running|paused|restarting)$/i.test(r.state ?? '') }));
}

/** Image ids any container uses (for `image prune` and `system df`). */
export function imagesInUse(db: Db): Set<Digest> {
  const cols = columns(db, 'containers');
  const imageCol = ['image_id', 'image'].find((c) => cols.has(c));
  if (!imageCol) return new Set();
  return new Set((db.prepare(`SELECT DISTINCT ${imageCol} AS i FROM containers`).all() as Array<{ i: string }>).map((r) => r.i));
}
