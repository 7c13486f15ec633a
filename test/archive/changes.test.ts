import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { applyLayer, changes, changesBetween } from '../../src/archive/index.js';
import { craftTar, isRoot, scratch, streamOf } from './fixtures.js';

test('overlay changes look through several lower layers: whiteouts and opaque dirs in the middle hide what is below', async (t) => {
  if (!isRoot) return t.skip('needs root (overlay whiteouts)');
  const s = scratch();
  try {
    const bottom = `${s.dir}/l1`;
    const middle = `${s.dir}/l2`;
    await applyLayer(bottom, streamOf(await craftTar([{ name: 'etc/a', body: '1' }, { name: 'etc/b', body: '1' }, { name: 'opt/x/old', body: '1' }])), { whiteouts: 'overlay' });
    await applyLayer(middle, streamOf(await craftTar([{ name: 'etc/.wh.a' }, { name: 'opt/x/', type: 'directory' }, { name: 'opt/x/.wh..wh..opq' }, { name: 'opt/x/mid', body: '2' }])), { whiteouts: 'overlay' });
    const upper = `${s.dir}/u`;
    mkdirSync(`${upper}/etc`, { recursive: true });
    mkdirSync(`${upper}/opt/x`, { recursive: true });
    writeFileSync(`${upper}/etc/a`, 'again'); // deleted in the middle layer: added anew
    writeFileSync(`${upper}/etc/b`, 'changed'); // present below: changed
    writeFileSync(`${upper}/opt/x/old`, 'again'); // hidden by the opaque middle dir: added anew
    writeFileSync(`${upper}/opt/x/mid`, 'changed');
    assert.deepEqual(await changes(upper, [middle, bottom]), [
      { kind: 'C', path: '/etc' },
      { kind: 'A', path: '/etc/a' },
      { kind: 'C', path: '/etc/b' },
      { kind: 'C', path: '/opt' },
      { kind: 'C', path: '/opt/x' },
      { kind: 'C', path: '/opt/x/mid' },
      { kind: 'A', path: '/opt/x/old' },
    ]);
  } finally {
    s.cleanup();
  }
});

test('changesBetween reports as docker diff: new directories with their contents as A, a deleted directory once as D', async () => {
  const s = scratch();
  try {
    await applyLayer(`${s.dir}/lower`, streamOf(await craftTar([{ name: 'gone/deep/f', body: '1' }, { name: 'keep', body: '1' }])));
    await applyLayer(`${s.dir}/upper`, streamOf(await craftTar([{ name: 'keep', body: '1' }, { name: 'new/dir/f', body: '1' }])));
    assert.deepEqual(await changesBetween(`${s.dir}/lower`, `${s.dir}/upper`), [
      { kind: 'D', path: '/gone' },
      { kind: 'A', path: '/new' },
      { kind: 'A', path: '/new/dir' },
      { kind: 'A', path: '/new/dir/f' },
    ]);
  } finally {
    s.cleanup();
  }
});
