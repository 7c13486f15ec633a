import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flag, parseArgs, type CommandSpec } from '../../src/cli/args.js';
import { TugError } from '../../src/util/errors.js';

const run: CommandSpec = {
  name: 'run', usage: 'tug run', description: '', stopAtFirstPositional: true, minArgs: 1,
  flags: [
    { name: 'interactive', short: 'i', type: 'bool' },
    { name: 'tty', short: 't', type: 'bool' },
    { name: 'publish', short: 'p', type: 'list' },
    { name: 'name', type: 'string' },
    { name: 'rm', type: 'bool' },
    { name: 'stop-timeout', type: 'int' },
    { name: 'link', type: 'list', unsupported: true },
  ],
};

test('clustered short flags, attached values, repeats, and the command after the image', () => {
  const p = parseArgs(run, ['-it', '-p80:80', '-p', '443:443', '--name=web', '--rm=false', '--stop-timeout', '5', 'busybox', 'sh', '-c', 'echo --name']);
  assert.equal(flag.bool(p, 'interactive'), true);
  assert.equal(flag.bool(p, 'tty'), true);
  assert.deepEqual(flag.list(p, 'publish'), ['80:80', '443:443']);
  assert.equal(flag.str(p, 'name'), 'web');
  assert.equal(flag.bool(p, 'rm'), false);
  assert.equal(flag.int(p, 'stop-timeout'), 5);
  assert.deepEqual(p.positionals, ['busybox', 'sh', '-c', 'echo --name']);
});

test('unknown flags, missing values and unsupported flags are refused', () => {
  assert.throws(() => parseArgs(run, ['--nope', 'x']), (e: unknown) => e instanceof TugError && /unknown flag: --nope/.test(e.message));
  assert.throws(() => parseArgs(run, ['--name']), (e: unknown) => e instanceof TugError && /needs an argument/.test(e.message));
  assert.throws(() => parseArgs(run, ['--link', 'db', 'x']), (e: unknown) => e instanceof TugError && e.code === 'UNSUPPORTED');
  assert.throws(() => parseArgs(run, ['--stop-timeout', 'x', 'y']), /not an integer/);
  assert.throws(() => parseArgs(run, []), /requires at least 1 argument/);
});
