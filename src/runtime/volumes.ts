// Named and anonymous volumes: a directory per volume under ROOT/volumes,
// a row in the metadata DB. An empty volume mounted over image content is
// seeded with that content on first use (docker's copy-up).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeTx, type Db } from '../meta/db.js';
import { TugError } from '../util/errors.js';
import { paths, type RuntimePaths } from './paths.js';
import type { ContainerRecord } from './types.js';

export interface VolumeRecord {
  name: string;
  created: string;
  labels: Record<string, string>;
  anonymous: boolean;
  mountpoint: string;
}

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export class Volumes {
  constructor(readonly db: Db, readonly p: RuntimePaths) {}

  private row(r: { name: string; created: string; labels: string; anonymous: number }): VolumeRecord {
    return { name: r.name, created: r.created, labels: JSON.parse(r.labels), anonymous: r.anonymous === 1, mountpoint: paths.volumeData(this.p, r.name) };
  }

  get(name: string): VolumeRecord | undefined {
    const r = this.db.prepare('SELECT * FROM volumes WHERE name = ?').get(name) as Parameters<Volumes['row']>[0] | undefined;
    return r && this.row(r);
  }

  list(): VolumeRecord[] {
    return (this.db.prepare('SELECT * FROM volumes ORDER BY name').all() as Array<Parameters<Volumes['row']>[0]>).map((r) => this.row(r));
  }

  /** Creates a volume, or returns the existing one of that name (docker's idempotent create). */
  create(name: string | undefined, labels: Record<string, string> = {}, anonymous = false): VolumeRecord {
    const n = name ?? randomBytes(32).toString('hex');
    if (!NAME_RE.test(n)) {
      throw new TugError('INVALID_ARGUMENT', `"${n}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed`, { hint: 'choose a name made of letters, digits, _ . -' });
    }
    const existing = this.get(n);
    if (existing) return existing;
    mkdirSync(paths.volumeData(this.p, n), { recursive: true, mode: 0o755 });
    writeTx(this.db, () => {
      this.db.prepare('INSERT OR IGNORE INTO volumes (name, created, labels, anonymous) VALUES (?, ?, ?, ?)').run(n, new Date().toISOString(), JSON.stringify(labels), anonymous ? 1 : 0);
    });
    return this.get(n)!;
  }

  /** Containers (ids) whose mounts name this volume. */
  users(name: string, containers: ContainerRecord[]): string[] {
    return containers.filter((c) => c.config.mounts.some((m) => m.type === 'volume' && m.source === name)).map((c) => c.id);
  }

  remove(name: string, containers: ContainerRecord[], force = false): void {
    if (!this.get(name)) throw new TugError('NOT_FOUND', `no such volume: ${name}`, { hint: "See 'tug volume ls'." });
    const users = this.users(name, containers);
    if (users.length && !force) {
      throw new TugError('CONFLICT', `remove ${name}: volume is in use - [${users.join(', ')}]`, { hint: 'remove the containers that use it first' });
    }
    writeTx(this.db, () => this.db.prepare('DELETE FROM volumes WHERE name = ?').run(name));
    rmSync(join(paths.volumes(this.p), name), { recursive: true, force: true });
  }

  /** Seeds an empty volume from the image's content at the mount destination. */
  seed(name: string, imageDir: string): void {
    const data = paths.volumeData(this.p, name);
    if (!existsSync(imageDir) || !statSync(imageDir).isDirectory()) return;
    if (readdirSync(data).length > 0) return;
    if (readdirSync(imageDir).length === 0) return;
    execFileSync('cp', ['-a', `${imageDir}/.`, `${data}/`]);
  }
}
