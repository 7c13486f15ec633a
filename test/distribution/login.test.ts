// tug login/logout against Debian's docker-registry with htpasswd (bcrypt)
// auth; credentials land in $DOCKER_CONFIG/config.json in docker's format, or
// go through a docker-credential-<name> helper when credsStore names one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tempRoot, tug } from '../helpers.js';
import { haveDockerRegistry, startDockerRegistry } from './fixture.js';

test('login/logout against docker-registry with htpasswd', { skip: !haveDockerRegistry() && 'docker-registry not installed' }, async (t) => {
  const reg = await startDockerRegistry({ users: { alice: 's3cret' } });
  const tr = tempRoot();
  const cfgDir = mkdtempSync('/var/tmp/tug-dockercfg-');
  t.after(async () => {
    await reg.stop();
    tr.cleanup();
    rmSync(cfgDir, { recursive: true, force: true });
  });
  const env = { DOCKER_CONFIG: cfgDir };
  const cfgPath = join(cfgDir, 'config.json');

  await t.test('a wrong password is refused and nothing is stored', async () => {
    const r = await tug(['login', '-u', 'alice', '--password-stdin', reg.host], { root: tr.root, env, input: 'wrong\n' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Error: login attempt to http:\/\/127\.0\.0\.1:\d+\/v2\/ failed with status: 401 Unauthorized$/m);
    assert.match(r.stderr, /^Hint: /m);
    assert.equal(existsSync(cfgPath), false);
  });

  await t.test('--password-stdin stores base64(user:password) under the host, as docker does', async () => {
    const r = await tug(['login', '-u', 'alice', '--password-stdin', reg.host], { root: tr.root, env, input: 's3cret\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Login Succeeded/);
    assert.match(r.stdout, /WARNING! Your password will be stored unencrypted in/);
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8')) as { auths: Record<string, { auth: string }> };
    assert.equal(cfg.auths[reg.host].auth, Buffer.from('alice:s3cret').toString('base64'));
  });

  await t.test('-p works and warns about the command line', async () => {
    const r = await tug(['login', '-u', 'alice', '-p', 's3cret', reg.host], { root: tr.root, env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /WARNING! Using --password via the CLI is insecure/);
  });

  await t.test('without credentials and without a TTY login refuses', async () => {
    const r = await tug(['login', reg.host], { root: tr.root, env });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Cannot perform an interactive login from a non TTY device/);
  });

  await t.test('logout removes the entry; a second logout says not logged in', async () => {
    let r = await tug(['logout', reg.host], { root: tr.root, env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `Removing login credentials for ${reg.host}\n`);
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8')) as { auths: Record<string, unknown> };
    assert.equal(cfg.auths[reg.host], undefined);
    r = await tug(['logout', reg.host], { root: tr.root, env });
    assert.equal(r.stdout, `Not logged in to ${reg.host}\n`);
  });

  await t.test('a credsStore helper receives store/erase in docker\'s protocol', async () => {
    const bin = mkdtempSync('/var/tmp/tug-credhelper-');
    t.after(() => rmSync(bin, { recursive: true, force: true }));
    const store = join(bin, 'store.json');
    // the helper protocol: action in argv, payload on stdin, JSON on stdout
    writeFileSync(
      join(bin, 'docker-credential-tugtest'),
      `#!/bin/sh
case "$1" in
  store) cat > ${store} ;;
  get) if [ -f ${store} ]; then cat ${store}; else echo "credentials not found in native keychain"; exit 1; fi ;;
  erase) rm -f ${store} ;;
esac
`,
    );
    chmodSync(join(bin, 'docker-credential-tugtest'), 0o755);
    writeFileSync(cfgPath, JSON.stringify({ credsStore: 'tugtest' }));
    const henv = { ...env, PATH: `${bin}:${process.env.PATH}` };
    const r = await tug(['login', '-u', 'alice', '--password-stdin', reg.host], { root: tr.root, env: henv, input: 's3cret' });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /stored unencrypted/);
    assert.deepEqual(JSON.parse(readFileSync(store, 'utf8')), { ServerURL: reg.host, Username: 'alice', Secret: 's3cret' });
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8')) as { auths: Record<string, { auth?: string }> };
    assert.equal(cfg.auths[reg.host].auth, undefined, 'no password in config.json');
    // `get` supplies the credentials: the registry answers "manifest unknown", not "unauthorized"
    const withHelper = await tug(['manifest', 'inspect', `${reg.host}/none/such:1`], { root: tr.root, env: henv });
    assert.equal(withHelper.code, 1);
    assert.match(withHelper.stderr, /manifest unknown/);
    // the same through credHelpers (one helper for this host only)
    writeFileSync(cfgPath, JSON.stringify({ credHelpers: { [reg.host]: 'tugtest' } }));
    const perHost = await tug(['manifest', 'inspect', `${reg.host}/none/such:1`], { root: tr.root, env: henv });
    assert.match(perHost.stderr, /manifest unknown/);
    writeFileSync(cfgPath, JSON.stringify({ credsStore: 'tugtest' }));
    const out = await tug(['logout', reg.host], { root: tr.root, env: henv });
    assert.equal(out.code, 0, out.stderr);
    assert.equal(existsSync(store), false);
    const anonymous = await tug(['manifest', 'inspect', `${reg.host}/none/such:1`], { root: tr.root, env: henv });
    assert.equal(anonymous.code, 1);
    assert.match(anonymous.stderr, /unauthorized/);
  });
});
