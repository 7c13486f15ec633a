// `tug registry serve` and `tug registry gc` on bad flags: one clear error
// line (and a hint), exit code 1, never a stack trace.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempRoot, tug } from '../helpers.js';
import { startRegistry } from './helpers.js';

describe('tug registry serve: bad flags', () => {
  it('refuses bad values with a one-line error', async () => {
    const tmp = tempRoot('tug-reg-cli-');
    try {
      const plain = join(tmp.root, 'plain-htpasswd');
      writeFileSync(plain, 'user:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n');
      const cases: Array<[string[], RegExp]> = [
        [['--auth', 'foo'], /^Error: invalid --auth "foo"\nHint: use token or basic/],
        [['--tls-cert', '/nonexistent'], /^Error: --tls-cert and --tls-key go together/],
        [['--addr', 'nonsense'], /^Error: invalid --addr "nonsense"/],
        [['--addr', '127.0.0.1:99999'], /^Error: invalid port in --addr/],
        [['--htpasswd', '/nonexistent'], /^Error: cannot read htpasswd file \/nonexistent/],
        [['--htpasswd', plain], /^Error: .*plain-htpasswd:1: not a bcrypt htpasswd entry\nHint: create entries with `htpasswd -B`/],
        [['--gc-interval', 'soon'], /^Error: invalid duration "soon" for --gc-interval/],
        [['--log-level', 'loud'], /^Error: invalid --log-level "loud"/],
        [['--access', '/x'], /^Error: --access and --auth need --htpasswd/],
      ];
      for (const [args, want] of cases) {
        const r = await tug(['registry', 'serve', ...args], { root: tmp.root, timeoutMs: 20_000 });
        assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, want, args.join(' '));
        assert.doesNotMatch(r.stderr, /\n\s+at |internal error/, args.join(' '));
      }
      // a flag error exits 125 on every verb, as docker's CLI (cobra's FlagErrorFunc)
      const bogus = await tug(['registry', 'serve', '--bogus'], { root: tmp.root, timeoutMs: 20_000 });
      assert.equal(bogus.code, 125);
      assert.match(bogus.stderr, /^Error: unknown flag: --bogus/);
    } finally {
      tmp.cleanup();
    }
  });

  it('an address in use is a clear error', async () => {
    const tmp = tempRoot('tug-reg-cli2-');
    const reg = await startRegistry(tmp.root);
    try {
      const r = await tug(['registry', 'serve', '--addr', reg.host], { root: tmp.root, timeoutMs: 20_000 });
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`^Error: address ${reg.host.replace(/\./g, '\\.')} is already in use`));
    } finally {
      await reg.stop();
      tmp.cleanup();
    }
  });
});
