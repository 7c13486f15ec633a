// Leases: work in flight (a pull, a build, an upload, a load) holds the
// blobs it has written or is about to write, so the garbage collector keeps
// them until the work has recorded a real root (a tag, a cache record) or
// given up. A lease that outlives its process expires and stops counting.
import { randomBytes } from 'node:crypto';
import { TugError } from '../util/errors.js';
import { applyMigrations, writeTx, type Db, type MigrationSet } from './db.js';

export const LEASE_MIGRATIONS: MigrationSet = {
  module: 'leases',
  steps: [
    `CREATE TABLE leases (
       id TEXT PRIMARY KEY,
       created_at INTEGER NOT NULL,
       expires_at INTEGER,            -- ms since epoch; NULL = until deleted
       labels TEXT NOT NULL DEFAULT '{}'
     );
     CREATE TABLE lease_resources (
       lease_id TEXT NOT NULL REFERENCES leases(id) ON DELETE CASCADE,
       kind TEXT NOT NULL,            -- 'content' (a blob digest), or another module's kind, e.g. 'snapshot'
       resource TEXT NOT NULL,
       PRIMARY KEY (lease_id, kind, resource)
     );
     CREATE INDEX lease_resources_by_resource ON lease_resources(kind, resource);`,
  ],
};

export const DEFAULT_LEASE_MS = 24 * 60 * 60 * 1000;

export interface Lease {
  id: string;
  createdAt: number;
  /** Undefined: never expires (delete it yourself). */
  expiresAt?: number;
  labels: Record<string, string>;
}

export interface LeaseOptions {
  id?: string;
  /** Lifetime; default 24 h. `null`: until deleted. Expiry covers work whose process died. */
  expiresInMs?: number | null;
  labels?: Record<string, string>;
}

const ready = new WeakSet<Db>();
function ensure(db: Db): void {
  if (ready.has(db)) return;
  applyMigrations(db, [LEASE_MIGRATIONS]);
  ready.add(db);
}

interface LeaseRow {
  id: string;
  created_at: number;
  expires_at: number | null;
  labels: string;
}

function toLease(r: LeaseRow): Lease {
  return { id: r.id, createdAt: r.created_at, expiresAt: r.expires_at ?? undefined, labels: JSON.parse(r.labels) as Record<string, string> };
}

export function createLease(db: Db, opts: LeaseOptions = {}): Lease {
  ensure(db);
  const now = Date.now();
  const ttl = opts.expiresInMs === undefined ? DEFAULT_LEASE_MS : opts.expiresInMs;
  const lease: Lease = {
    id: opts.id ?? `lease-${process.pid}-${randomBytes(8).toString('hex')}`,
    createdAt: now,
    expiresAt: ttl === null ? undefined : now + ttl,
    labels: opts.labels ?? {},
  };
  writeTx(db, () => {
    const r = db
      .prepare('INSERT INTO leases (id, created_at, expires_at, labels) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO NOTHING')
      .run(lease.id, lease.createdAt, lease.expiresAt ?? null, JSON.stringify(lease.labels));
    if (r.changes === 0) throw new TugError('ALREADY_EXISTS', `lease ${lease.id} already exists`);
  });
  return lease;
}

export function getLease(db: Db, id: string): Lease | undefined {
  ensure(db);
  const r = db.prepare('SELECT * FROM leases WHERE id = ?').get(id) as LeaseRow | undefined;
  return r && toLease(r);
}

export function listLeases(db: Db): Lease[] {
  ensure(db);
  return (db.prepare('SELECT * FROM leases ORDER BY created_at').all() as LeaseRow[]).map(toLease);
}

/**
 * Adds a resource (by default a blob digest) to a live lease. Add a blob
 * before writing it when its digest is known (pulls), else right after commit.
 */
export function addLeaseResource(db: Db, leaseId: string, resource: string, kind = 'content'): void {
  ensure(db);
  writeTx(db, () => {
    const lease = db.prepare('SELECT expires_at FROM leases WHERE id = ?').get(leaseId) as { expires_at: number | null } | undefined;
    if (!lease || (lease.expires_at !== null && lease.expires_at <= Date.now())) {
      throw new TugError('NOT_FOUND', `lease ${leaseId} does not exist or has expired`, { hint: 'the operation took too long; run it again' });
    }
    db.prepare('INSERT OR IGNORE INTO lease_resources (lease_id, kind, resource) VALUES (?, ?, ?)').run(leaseId, kind, resource);
  });
}

export function removeLeaseResource(db: Db, leaseId: string, resource: string, kind = 'content'): void {
  ensure(db);
  writeTx(db, () => {
    db.prepare('DELETE FROM lease_resources WHERE lease_id = ? AND kind = ? AND resource = ?').run(leaseId, kind, resource);
  });
}

/** Ends a lease; its resources stop being roots. Deleting a missing lease is a no-op. */
export function deleteLease(db: Db, id: string): void {
  ensure(db);
  writeTx(db, () => {
    db.prepare('DELETE FROM leases WHERE id = ?').run(id);
  });
}

/** Resources of the given kind held by unexpired leases (except the listed ones). Call inside a transaction for a consistent view. */
export function leasedResources(db: Db, kind = 'content', now = Date.now(), exceptLeases: readonly string[] = []): Set<string> {
  ensure(db);
  const rows = db
    .prepare('SELECT r.lease_id, r.resource FROM lease_resources r JOIN leases l ON l.id = r.lease_id WHERE r.kind = ? AND (l.expires_at IS NULL OR l.expires_at > ?)')
    .raw()
    .all(kind, now) as Array<[string, string]>;
  const except = new Set(exceptLeases);
  return new Set(rows.filter(([lease]) => !except.has(lease)).map(([, resource]) => resource));
}

export function isLeased(db: Db, resource: string, kind = 'content', now = Date.now()): boolean {
  ensure(db);
  return (
    db
      .prepare('SELECT 1 FROM lease_resources r JOIN leases l ON l.id = r.lease_id WHERE r.kind = ? AND r.resource = ? AND (l.expires_at IS NULL OR l.expires_at > ?) LIMIT 1')
      .get(kind, resource, now) !== undefined
  );
}

/** Deletes expired leases (the collector does this); returns how many. Use inside or outside a transaction. */
export function deleteExpiredLeases(db: Db, now = Date.now()): number {
  ensure(db);
  return writeTx(db, () => db.prepare('DELETE FROM leases WHERE expires_at IS NOT NULL AND expires_at <= ?').run(now).changes);
}

/** Runs fn under a fresh lease and deletes the lease afterwards, whether fn succeeded or not. */
export async function withLease<T>(db: Db, opts: LeaseOptions, fn: (lease: Lease) => Promise<T>): Promise<T> {
  const lease = createLease(db, opts);
  try {
    return await fn(lease);
  } finally {
    deleteLease(db, lease.id);
  }
}
