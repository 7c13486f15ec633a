// Transpile every .ts under src/, test/ and bench/ to dist/ (one file each,
// no bundling). esbuild strips types only; `npm run typecheck` runs tsc.
import { build } from 'esbuild';
import { existsSync, readdirSync, statSync, rmSync } from 'node:fs';
import { join } from 'node:path';

function tsFiles(dir) {
  let out = [];
  let names;
  try { names = readdirSync(dir); } catch { return out; }
  for (const name of names) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(tsFiles(p));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

// No wipe of dist/: several builds may run at once while tests read dist/.
// Outputs whose source is gone are removed instead.
function removeOrphans(dir) {
  let names;
  try { names = readdirSync(dir); } catch { return; }
  for (const name of names) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) removeOrphans(p);
    else if (name.endsWith('.js') && !existsSync(p.slice('dist/'.length).replace(/\.js$/, '.ts'))) rmSync(p, { force: true });
  }
}
removeOrphans('dist');
await build({
  entryPoints: ['src', 'test', 'bench'].flatMap(tsFiles),
  outdir: 'dist',
  outbase: '.',
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'inline',
  logLevel: 'warning',
});
