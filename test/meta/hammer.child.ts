// Child for the DB concurrency test: one of several processes doing
// read-modify-write transactions on the same counter as fast as it can.
import { openDb, writeTx } from '../../src/meta/db.js';
import { HAMMER_MIGRATIONS } from './hammer.schema.js';

const [root, procArg, itersArg] = process.argv.slice(2);
const proc = Number(procArg);
const db = openDb(root, [HAMMER_MIGRATIONS]);
const read = db.prepare('SELECT value FROM counters WHERE id = 1').pluck();
const bump = db.prepare('UPDATE counters SET value = ? WHERE id = 1');
const log = db.prepare('INSERT INTO ledger (proc, seq, seen) VALUES (?, ?, ?)');
for (let i = 0; i < Number(itersArg); i++) {
  writeTx(db, () => {
    const v = read.get() as number;
    // A lost update (two processes reading the same v) would make `seen` repeat.
    bump.run(v + 1);
    log.run(proc, i, v);
  });
  if (i % 4 === 0) await new Promise((r) => setImmediate(r)); // let the scheduler interleave us
}
db.close();
