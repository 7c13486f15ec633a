// BuildKit's own parser and shell-lexer test data (../shared/corpora/buildkit):
// every parse-tree dump must match byte for byte, every negative case must
// fail, and every word-expansion case must give BuildKit's answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED, tug } from '../helpers.js';
import { dumpAst, parseAst, processWord, DockerfileError } from '../../src/dockerfile/index.js';

const CORPUS = join(SHARED, 'corpora', 'buildkit', 'frontend', 'dockerfile');
const PARSER = join(CORPUS, 'parser');
const SHELL = join(CORPUS, 'shell');
const have = existsSync(PARSER) && existsSync(SHELL);
const skipMsg = `BuildKit corpus not found at ${CORPUS}`;

test('parser corpus: every testfiles/*/result dump matches', (t) => {
  if (!have) return t.skip(skipMsg);
  const cases = readdirSync(join(PARSER, 'testfiles')).sort();
  assert.equal(cases.length, 33);
  for (const c of cases) {
    const text = readFileSync(join(PARSER, 'testfiles', c, 'Dockerfile'), 'utf8');
    const expected = readFileSync(join(PARSER, 'testfiles', c, 'result'), 'utf8');
    assert.equal(dumpAst(parseAst(text)), expected, `case ${c}`);
  }
});

test('parser corpus: testfiles-negative all fail with a DockerfileError', (t) => {
  if (!have) return t.skip(skipMsg);
  const cases = readdirSync(join(PARSER, 'testfiles-negative')).sort();
  assert.equal(cases.length, 4);
  for (const c of cases) {
    const text = readFileSync(join(PARSER, 'testfiles-negative', c, 'Dockerfile'), 'utf8');
    assert.throws(() => parseAst(text), (e: unknown) => e instanceof DockerfileError && e.code === 'SYNTAX', `case ${c}`);
  }
});

test('parser corpus: line numbers of testfile-line', (t) => {
  if (!have) return t.skip(skipMsg);
  const r = parseAst(readFileSync(join(PARSER, 'testfile-line', 'Dockerfile'), 'utf8'));
  assert.equal(r.root.startLine, 5);
  assert.equal(r.root.endLine, 31);
  assert.deepEqual(r.root.children.map((c) => [c.startLine, c.endLine]), [[5, 5], [11, 12], [17, 31]]);
});

test('tug dockerfile parse --dump reproduces corpus results (CLI, sample of cases)', async (t) => {
  if (!have) return t.skip(skipMsg);
  // In-process above covers all 33; the binary gets a varied sample (spawning is slow here).
  for (const c of ['env', 'escape', 'flags', 'health', 'json', 'continueIndent']) {
    const file = join(PARSER, 'testfiles', c, 'Dockerfile');
    const r = await tug(['dockerfile', 'parse', '--dump', file]);
    assert.equal(r.code, 0, `${c}: ${r.stderr}`);
    assert.equal(r.stdout, readFileSync(join(PARSER, 'testfiles', c, 'result'), 'utf8'), `case ${c}`);
  }
});

test('shell corpus: envVarTest (A and U lines) with PWD, SHELL, KOREAN, NULL', (t) => {
  if (!have) return t.skip(skipMsg);
  const env = new Map([['PWD', '/home'], ['SHELL', 'bash'], ['KOREAN', '한국어'], ['NULL', '']]);
  let n = 0;
  for (const raw of readFileSync(join(SHELL, 'envVarTest'), 'utf8').split('\n')) {
    if (raw.startsWith('#')) continue;
    const line = raw.replace(/^[ \t]+/, '');
    if (line === '') continue;
    const parts = line.split('|');
    assert.equal(parts.length, 3, `bad corpus line ${raw}`);
    const [platform, source, expected] = parts.map((p) => p.trim());
    if (platform === 'W') continue;
    n++;
    if (expected === 'error') {
      assert.throws(() => processWord(source, env), (e: unknown) => e instanceof DockerfileError, `input ${source}`);
    } else {
      assert.equal(processWord(source, env).result, expected, `input ${source}`);
    }
  }
  assert.ok(n >= 220, `only ${n} cases`);
});

test('shell corpus: wordsTest word splitting', (t) => {
  if (!have) return t.skip(skipMsg);
  const env = new Map<string, string>();
  let n = 0;
  for (const line of readFileSync(join(SHELL, 'wordsTest'), 'utf8').split('\n')) {
    if (line.startsWith('#') || line === '') continue;
    if (line.startsWith('ENV ')) {
      const kv = line.slice(3).replace(/^ +/, '');
      const eq = kv.indexOf('=');
      env.set(kv.slice(0, eq), kv.slice(eq + 1));
      continue;
    }
    const [input, out] = line.split('|');
    const expected = out.replace(/^ +/, '').split(',');
    let got: string[];
    try {
      got = processWord(input.trim(), env).words;
    } catch {
      got = ['error'];
    }
    assert.deepEqual(got, expected, `input ${input}`);
    n++;
  }
  assert.ok(n >= 20);
});
