// Container and volume records in the metadata DB. The record is JSON (config
// and state); name and id are columns so lookups and uniqueness are SQL's job.
import { openDb, writeTx, type Db, type MigrationSet } from '../meta/db.js';
import { TugError } from '../util/errors.js';
import type { ContainerRecord, ContainerState } from './types.js';

export const runtimeMigrations: MigrationSet = {
  module: 'runtime',
  steps: [
    `CREATE TABLE containers (
       id TEXT PRIMARY KEY,
       name TEXT NOT NULL UNIQUE,
       created TEXT NOT NULL,
       config TEXT NOT NULL,
       state TEXT NOT NULL
     );
     CREATE TABLE volumes (
       name TEXT PRIMARY KEY,
       created TEXT NOT NULL,
       labels TEXT NOT NULL DEFAULT '{}',
       anonymous INTEGER NOT NULL DEFAULT 0
     );`,
    // Columns the image module's in-use check reads (src/image/inuse.ts): image_id and a plain status.
    `ALTER TABLE containers RENAME COLUMN state TO state_json;
     ALTER TABLE containers ADD COLUMN status TEXT NOT NULL DEFAULT 'created';
     ALTER TABLE containers ADD COLUMN image_id TEXT NOT NULL DEFAULT '';
     UPDATE containers SET status = json_extract(state_json, '$.status'), image_id = json_extract(config, '$.imageId');`,
  ],
};

interface Row {
  id: string;
  name: string;
  created: string;
  config: string;
  state_json: string;
}

const fromRow = (r: Row): ContainerRecord => ({
  id: r.id,
  name: r.name,
  created: r.created,
  config: JSON.parse(r.config),
  state: JSON.parse(r.state_json),
});

export class ContainerStore {
  constructor(readonly db: Db) {}

  static open(root: string): ContainerStore {
    return new ContainerStore(openDb(root, [runtimeMigrations]));
  }

  insert(rec: ContainerRecord): void {
    writeTx(this.db, () => {
      const clash = this.db.prepare('SELECT id FROM containers WHERE name = ?').get(rec.name) as { id: string } | undefined;
      if (clash) {
        throw new TugError('ALREADY_EXISTS', `the container name "/${rec.name}" is already in use by container "${clash.id}"`, {
          hint: 'remove (or rename) that container to be able to reuse that name',
        });
      }
      this.db
        .prepare('INSERT INTO containers (id, name, created, config, state_json, status, image_id) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(rec.id, rec.name, rec.created, JSON.stringify(rec.config), JSON.stringify(rec.state), rec.state.status, rec.config.imageId);
    });
  }

  get(id: string): ContainerRecord | undefined {
    const r = this.db.prepare('SELECT * FROM containers WHERE id = ?').get(id) as Row | undefined;
    return r && fromRow(r);
  }

  /** docker's lookup order: full id, exact name, unique id prefix. */
  find(ref: string): ContainerRecord | undefined {
    const name = ref.startsWith('/') ? ref.slice(1) : ref;
    let r = this.db.prepare('SELECT * FROM containers WHERE id = ? OR name = ? ORDER BY id = ? DESC LIMIT 1').get(ref, name, ref) as Row | undefined;
    if (!r && /^[0-9a-f]{1,64}$/.test(ref)) {
      const rows = this.db.prepare("SELECT * FROM containers WHERE id LIKE ? || '%' LIMIT 2").all(ref) as Row[];
      if (rows.length > 1) throw new TugError('INVALID_ARGUMENT', `multiple containers found with provided prefix: ${ref}`, { hint: 'give more characters of the id, or the name' });
      r = rows[0];
    }
    return r && fromRow(r);
  }

  mustFind(ref: string): ContainerRecord {
    const rec = this.find(ref);
    if (!rec) throw new TugError('NOT_FOUND', `No such container: ${ref}`, { hint: "See 'tug ps -a' for the containers there are." });
    return rec;
  }

  list(): ContainerRecord[] {
    return (this.db.prepare('SELECT * FROM containers ORDER BY created DESC, rowid DESC').all() as Row[]).map(fromRow);
  }

  /** Read-modify-write of the state under the write lock; fn returns false to leave it unchanged. */
  updateState(id: string, fn: (s: ContainerState, rec: ContainerRecord) => boolean | void): ContainerRecord | undefined {
    return writeTx(this.db, () => {
      const rec = this.get(id);
      if (!rec) return undefined;
      if (fn(rec.state, rec) === false) return rec;
      this.db.prepare('UPDATE containers SET state_json = ?, status = ? WHERE id = ?').run(JSON.stringify(rec.state), rec.state.status, id);
      return rec;
    });
  }

  updateConfig(rec: ContainerRecord): void {
    writeTx(this.db, () => this.db.prepare('UPDATE containers SET config = ? WHERE id = ?').run(JSON.stringify(rec.config), rec.id));
  }

  rename(id: string, name: string): void {
    writeTx(this.db, () => {
      const clash = this.db.prepare('SELECT id FROM containers WHERE name = ?').get(name) as { id: string } | undefined;
      if (clash) throw new TugError('ALREADY_EXISTS', `the container name "/${name}" is already in use by container "${clash.id}"`, { hint: 'choose another name' });
      this.db.prepare('UPDATE containers SET name = ? WHERE id = ?').run(name, id);
    });
  }

  delete(id: string): void {
    writeTx(this.db, () => this.db.prepare('DELETE FROM containers WHERE id = ?').run(id));
  }
}
