// Word expansion as the Dockerfile reference documents it ("Environment
// replacement"), with the pattern operators cross-checked against bash.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { expandWord, expandWords, processWord, DockerfileError } from '../../src/dockerfile/index.js';

const env = new Map<string, string>([
  ['STR', 'foobarbaz'],
  ['PATHV', '/usr/local/bin/app.tar.gz'],
  ['EMPTY', ''],
  ['NAME', 'world'],
  ['SPACED', 'a  b'],
  ['VERSION', '1.2.3'],
  ['URL', 'https://example.com/a/b'],
]);

const CASES: Array<[string, string]> = [
  ['$NAME', 'world'],
  ['${NAME}', 'world'],
  ['hello-${NAME}-x', 'hello-world-x'],
  ['$NAME_suffix', ''],
  ['${NAME}_suffix', 'world_suffix'],
  ['${UNSET:-default}', 'default'],
  ['${EMPTY:-default}', 'default'],
  ['${EMPTY-default}', ''],
  ['${UNSET-default}', 'default'],
  ['${NAME:-default}', 'world'],
  ['${NAME:+alt}', 'alt'],
  ['${UNSET:+alt}', ''],
  ['${EMPTY:+alt}', ''],
  ['${EMPTY+alt}', 'alt'],
  ['${NAME?}', 'world'],
  ['${STR#*o}', 'obarbaz'],
  ['${STR##*o}', 'barbaz'],
  ['${STR%b*}', 'foobar'],
  ['${STR%%b*}', 'foo'],
  ['${STR#foo}', 'barbaz'],
  ['${STR%baz}', 'foobar'],
  ['${STR#nomatch}', 'foobarbaz'],
  ['${STR/ba/XX}', 'fooXXrbaz'],
  ['${STR//ba/XX}', 'fooXXrXXz'],
  ['${STR/?a/_}', 'foo_rbaz'],
  ['${STR//a/}', 'foobrbz'],
  ['${PATHV##*/}', 'app.tar.gz'],
  ['${PATHV%/*}', '/usr/local/bin'],
  ['${PATHV%%.*}', '/usr/local/bin/app'],
  ['${PATHV#*.}', 'tar.gz'],
  ['${VERSION%.*}', '1.2'],
  ['${VERSION%%.*}', '1'],
  ['${VERSION#*.}', '2.3'],
  ['${URL#https://}', 'example.com/a/b'],
  ['${UNSET:-${NAME:-x}}', 'world'],
  ['${UNSET:-$NAME}', 'world'],
  ['\\$NAME', '$NAME'],
  ['\\${NAME}', '${NAME}'],
  ['"$NAME"', 'world'],
  ["'$NAME'", '$NAME'],
  ['"${NAME} and ${NAME}"', 'world and world'],
  ['a\\ b', 'a b'],
  ['"a \\"quoted\\" b"', 'a "quoted" b'],
  ['$', '$'],
  ['$1', ''],
  ['price: 5$', 'price: 5$'],
  ['${SPACED}', 'a  b'],
];

describe('expandWord (Dockerfile reference semantics)', () => {
  for (const [word, expected] of CASES) {
    test(`${word} → ${JSON.stringify(expected)}`, () => assert.equal(expandWord(word, env), expected));
  }
});

// bash agrees with BuildKit on these (no bracket expressions, no quoting inside patterns).
const BASH_CHECKED = CASES.filter(([w]) => /^\$\{(STR|PATHV|VERSION|URL)[#%/]/.test(w));
describe('pattern operators agree with bash', () => {
  const bash = spawnSync('bash', ['-c', 'echo ok'], { encoding: 'utf8' });
  for (const [word, expected] of BASH_CHECKED) {
    test(word, (t) => {
      if (bash.status !== 0) return t.skip('bash not available');
      const vars = [...env].map(([k, v]) => `${k}='${v}'`).join('; ');
      const r = spawnSync('bash', ['-c', `${vars}; printf %s "${word}"`], { encoding: 'utf8' });
      assert.equal(r.stdout, expected, 'bash disagrees with the table');
      assert.equal(expandWord(word, env), r.stdout);
    });
  }
});

describe('expansion errors', () => {
  const ERR: Array<[string, RegExp]> = [
    ['${UNSET?}', /UNSET: is not allowed to be unset/],
    ['${UNSET:?}', /UNSET: is not allowed to be unset/],
    ['${EMPTY:?}', /EMPTY: is not allowed to be empty/],
    ['${UNSET?you must set UNSET}', /UNSET: you must set UNSET/],
    ['${NAME', /unsupported modifier|missing '}'/],
    ['${}', /bad substitution/],
    ['${:-x}', /bad substitution/],
    ['${NAME:=x}', /unsupported modifier \(:=\) in substitution/],
    ['"unterminated', /unexpected end of statement while looking for matching double-quote/],
    ["'unterminated", /unexpected end of statement while looking for matching single-quote/],
    ['${STR/a', /missing '\/' in \$\{\}|missing '}'/],
    ['${STR#\\x}', /invalid escape/],
  ];
  for (const [word, re] of ERR) {
    test(word, () => {
      assert.throws(() => expandWord(word, env), (e: unknown) => e instanceof DockerfileError && e.code === 'SYNTAX' && re.test(e.message));
    });
  }
  test('the message names the word, as BuildKit does', () => {
    assert.throws(() => expandWord('he${}', env), /failed to process "he\$\{\}": syntax error: bad substitution/);
  });
});

describe('word splitting, quoting and escape tokens', () => {
  test('unquoted expansion splits', () => assert.deepEqual(expandWords('$SPACED', env), ['a', 'b']));
  test('quoted expansion does not split', () => assert.deepEqual(expandWords('"$SPACED"', env), ['a  b']));
  test('several words', () => assert.deepEqual(expandWords('80 443/tcp $NAME', env), ['80', '443/tcp', 'world']));
  test('escaped space joins words', () => assert.deepEqual(expandWords('a\\ b c', env), ['a b', 'c']));
  test('empty quotes make no word', () => assert.deepEqual(expandWords('""', env), []));
  test('backtick escape token', () => assert.equal(expandWord('a`$NAME', env, '`'), 'a$NAME'));
  test('backslash is literal with the backtick token', () => assert.equal(expandWord('c:\\$NAME', env, '`'), 'c:\\world'));
  test('backtick escapes a quote', () => assert.equal(expandWord('"a`"b"', env, '`'), 'a"b'));
  test('env as a plain object', () => assert.equal(expandWord('$A-$B', { A: '1', B: '2' }), '1-2'));
  test('names are case-sensitive', () => assert.equal(expandWord('$name', env), ''));
  test('unicode variable names', () => assert.equal(expandWord('${été}', { été: 'summer' }), 'summer'));
  test('used and unset variables are reported', () => {
    const r = processWord('$NAME ${UNSET:-x} ${EMPTY}', env);
    assert.deepEqual([...r.matched].sort(), ['EMPTY', 'NAME']);
    assert.deepEqual([...r.unmatched], ['UNSET']);
  });
  test('skipUnsetEnv keeps unknown references', () => {
    assert.equal(processWord('$NAME $NOPE ${NOPE:-x}', env, { skipUnsetEnv: true }).result, 'world $NOPE ${NOPE:-x}');
  });
  test('rawQuotes keeps quotes', () => assert.equal(processWord(`"a" 'b'`, env, { rawQuotes: true }).result, `"a" 'b'`));
});
