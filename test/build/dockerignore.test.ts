// Cases from the Dockerfile reference's .dockerignore section and moby's
// documented pattern rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IgnoreMatcher, cleanPattern } from '../../src/build/context/dockerignore.js';

test('the reference example: */temp*, */*/temp*, temp?', () => {
  const m = IgnoreMatcher.parse('# comment\n*/temp*\n*/*/temp*\ntemp?\n');
  assert.equal(m.ignores('somedir/temporary.txt'), true);
  assert.equal(m.ignores('somedir/temp'), true);
  assert.equal(m.ignores('somedir/subdir/temporary.txt'), true);
  assert.equal(m.ignores('tempa'), true);
  assert.equal(m.ignores('tempb'), true);
  assert.equal(m.ignores('temporary.txt'), false); // `temp?` is one character
  assert.equal(m.ignores('a/b/c/temp'), false); // deeper than */*/
});

test('** matches any number of directories, including none', () => {
  const m = IgnoreMatcher.parse('**/*.go');
  assert.equal(m.ignores('main.go'), true);
  assert.equal(m.ignores('a/b/c/main.go'), true);
  assert.equal(m.ignores('a/main.goo'), false);
  const n = IgnoreMatcher.parse('a/**/b');
  assert.equal(n.ignores('a/b'), true);
  assert.equal(n.ignores('a/x/y/b'), true);
  assert.equal(n.ignores('a/x/y/c'), false);
});

test('exceptions: the last matching line wins', () => {
  const m = IgnoreMatcher.parse('*.md\n!README.md\n');
  assert.equal(m.ignores('CHANGES.md'), true);
  assert.equal(m.ignores('README.md'), false);
  const n = IgnoreMatcher.parse('*.md\n!README*.md\nREADME-secret.md\n');
  assert.equal(n.ignores('README-secret.md'), true);
  assert.equal(n.ignores('README-public.md'), false);
  assert.equal(n.ignores('notes.md'), true);
});

test('a directory pattern excludes everything below it, and an exception can re-include a file inside', () => {
  const m = IgnoreMatcher.parse('node_modules\nbuild/\n!build/keep.txt\n');
  assert.equal(m.ignores('node_modules'), true);
  assert.equal(m.ignores('node_modules/x/index.js'), true);
  assert.equal(m.ignores('build/out.o'), true);
  assert.equal(m.ignores('build/keep.txt'), false);
  assert.equal(m.mayIncludeBelow('build'), true);
  assert.equal(m.mayIncludeBelow('node_modules'), false);
  // a bare name matches only at the root, unlike .gitignore
  assert.equal(m.ignores('src/node_modules/x'), false);
});

test('patterns are cleaned: leading slash, ./ and .. are normalised', () => {
  assert.equal(cleanPattern('/foo/bar'), 'foo/bar');
  assert.equal(cleanPattern('./foo//bar/'), 'foo/bar');
  assert.equal(cleanPattern('foo/../bar'), 'bar');
  const m = IgnoreMatcher.parse('/foo/bar\n  ./baz  \n');
  assert.equal(m.ignores('foo/bar'), true);
  assert.equal(m.ignores('baz'), true);
});

test('character classes, ? and escapes follow Go filepath.Match', () => {
  const m = IgnoreMatcher.parse('file[0-9].txt\nlog[^a].txt\nq\\*.txt\n');
  assert.equal(m.ignores('file7.txt'), true);
  assert.equal(m.ignores('filex.txt'), false);
  assert.equal(m.ignores('logb.txt'), true);
  assert.equal(m.ignores('loga.txt'), false);
  assert.equal(m.ignores('q*.txt'), true);
  assert.equal(m.ignores('qq.txt'), false);
  const s = IgnoreMatcher.parse('a?c');
  assert.equal(s.ignores('a/c'), false); // ? never matches a slash
});
