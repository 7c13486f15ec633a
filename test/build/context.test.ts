import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, symlinkSync, utimesSync, rmSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { BuildContext } from '../../src/build/context/context.js';
import { StatCache, statCacheMigrations } from '../../src/build/context/statcache.js';
import { openDb } from '../../src/meta/db.js';
import { tempDir } from '../helpers.js';

function makeContext(): string {
  const dir = tempDir('tug-ctx-');
  mkdirSync(join(dir, 'src/lib'), { recursive: true });
  mkdirSync(join(dir, 'node_modules/x'), { recursive: true });
  writeFileSync(join(dir, 'src/main.go'), 'package main\n');
  writeFileSync(join(dir, 'src/lib/a.go'), 'package lib\n');
  writeFileSync(join(dir, 'src/lib/b.txt'), 'text\n');
  writeFileSync(join(dir, 'node_modules/x/index.js'), 'x\n');
  writeFileSync(join(dir, 'README.md'), 'readme\n');
  writeFileSync(join(dir, 'NOTES.md'), 'notes\n');
  symlinkSync('src/main.go', join(dir, 'link'));
  writeFileSync(join(dir, '.dockerignore'), 'node_modules\n*.md\n!README.md\n');
  return dir;
}

test('.dockerignore is applied while walking, exceptions re-include', () => {
  const dir = makeContext();
  try {
    const ctx = BuildContext.open(dir);
    assert.equal(ctx.has('node_modules'), false);
    assert.equal(ctx.has('node_modules/x/index.js'), false);
    assert.equal(ctx.has('NOTES.md'), false);
    assert.equal(ctx.has('README.md'), true);
    assert.equal(ctx.has('src/lib/a.go'), true);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('COPY sources: globs per path component, no match is a clear error', () => {
  const dir = makeContext();
  try {
    const ctx = BuildContext.open(dir);
    assert.deepEqual(ctx.match('src/lib/*.go'), ['src/lib/a.go']);
    assert.deepEqual(ctx.match('src/*/a.go'), ['src/lib/a.go']);
    assert.deepEqual(ctx.match('./src'), ['src']);
    assert.deepEqual(ctx.match('*.md'), ['README.md']);
    assert.throws(() => ctx.match('NOTES.md'), /not found in the build context/);
    assert.throws(() => ctx.match('nope/*'), /not found/);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('checksums follow content and mode, not mtimes; only the named paths count', () => {
  const dir = makeContext();
  try {
    const before = BuildContext.open(dir);
    const src = before.checksum(['src']);
    const readme = before.checksum(['README.md']);
    utimesSync(join(dir, 'src/main.go'), new Date(2001, 1, 1), new Date(2001, 1, 1));
    assert.equal(BuildContext.open(dir).checksum(['src']), src, 'a touch changes nothing');
    writeFileSync(join(dir, 'src/lib/b.txt'), 'text 2\n');
    const after = BuildContext.open(dir);
    assert.notEqual(after.checksum(['src']), src, 'new content changes the directory checksum');
    assert.equal(after.checksum(['README.md']), readme, 'an unrelated path keeps its checksum');
    chmodSync(join(dir, 'README.md'), 0o755);
    assert.notEqual(BuildContext.open(dir).checksum(['README.md']), readme, 'mode is part of the checksum');
    writeFileSync(join(dir, 'NOTES.md'), 'ignored file changed\n');
    assert.equal(BuildContext.open(dir).checksum(['']), BuildContext.open(dir).checksum(['']));
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('the stat cache persists digests and is invalidated by a same-size rewrite', () => {
  const dir = makeContext();
  const root = tempDir('tug-ctx-root-');
  try {
    const db = openDb(root, [statCacheMigrations]);
    const first = BuildContext.open(dir, { cache: StatCache.load(db, dir) });
    const sum = first.checksum(['src']);
    first.flush();
    const rows = db.prepare('SELECT count(*) AS n FROM build_stat_cache WHERE context = ?').get(dir) as { n: number };
    assert.equal(rows.n, 3, 'three files under src were hashed and cached');
    assert.equal(BuildContext.open(dir, { cache: StatCache.load(db, dir) }).checksum(['src']), sum);
    writeFileSync(join(dir, 'src/main.go'), 'package mian\n'); // same size, new bytes
    assert.notEqual(BuildContext.open(dir, { cache: StatCache.load(db, dir) }).checksum(['src']), sum);
  } finally {
    rmSync(dir, { recursive: true });
    rmSync(root, { recursive: true });
  }
});

test('a missing context is a clear error', () => {
  assert.throws(() => BuildContext.open('/nonexistent/ctx'), /unable to prepare context: path "\/nonexistent\/ctx" not found/);
});
