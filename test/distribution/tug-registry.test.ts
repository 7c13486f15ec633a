// The client against tug's own registry (`tug registry serve`), plain and
// with htpasswd + its bearer token endpoint, and against docker-registry with
// htpasswd basic auth: push, pull into a fresh root, digests checked with skopeo.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { TUG_BIN, haveBusybox, tempRoot, tug, type TempRoot } from '../helpers.js';
import { freePort, haveDockerRegistry, startDockerRegistry } from './fixture.js';
import { seedBusybox } from './seed.js';
import { ImageService } from '../../src/image/service.js';
import { closeAll } from '../../src/meta/db.js';

const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function startTugRegistry(root: string, extra: string[] = [], tls = false): Promise<{ host: string; stop(): Promise<void>; log: () => string }> {
  const port = await freePort();
  const out: Buffer[] = [];
  const child: ChildProcess = spawn(process.execPath, [TUG_BIN, '--root', root, 'registry', 'serve', '--addr', `127.0.0.1:${port}`, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (b: Buffer) => out.push(b));
  child.stderr?.on('data', (b: Buffer) => out.push(b));
  const log = (): string => Buffer.concat(out).toString();
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`tug registry serve exited: ${log()}`);
    try {
      if (tls) {
        await new Promise<void>((resolve, reject) => {
          const sock = connect(port, '127.0.0.1', () => {
            sock.destroy();
            resolve();
          });
          sock.on('error', reject);
        });
      }
      else await (await fetch(`http://127.0.0.1:${port}/v2/`)).arrayBuffer();
      break;
    } catch {
      if (i > 100) throw new Error(`tug registry serve did not come up: ${log()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    host: `127.0.0.1:${port}`,
    log,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    },
  };
}

test('push/pull against tug registry serve and authenticated registries', { skip: !haveBusybox() && 'needs the busybox tarball' }, async (t) => {
  const roots: TempRoot[] = [];
  const newRoot = (): string => {
    const r = tempRoot('tug-dist-');
    roots.push(r);
    return r.root;
  };
  const cfg = mkdtempSync('/var/tmp/tug-dockercfg-');
  const env = { DOCKER_CONFIG: cfg };
  const stops: Array<() => Promise<void>> = [];
  t.after(async () => {
    closeAll();
    for (const s of stops) await s();
    for (const r of roots) r.cleanup();
    rmSync(cfg, { recursive: true, force: true });
  });
  const src = newRoot();
  await seedBusybox(src, ['seed/busybox:1']);
  const images = ImageService.open(src);
  const seed = images.resolve('seed/busybox:1');

  await t.test('tug registry serve (anonymous): push, pull by tag and digest', async () => {
    const reg = await startTugRegistry(newRoot());
    stops.push(reg.stop);
    images.tag(seed, `${reg.host}/team/bb:1`);
    const p = await tug(['push', `${reg.host}/team/bb:1`], { root: src, env });
    assert.equal(p.code, 0, p.stderr + reg.log());
    const digest = /^1: digest: (sha256:[0-9a-f]{64}) size: \d+$/m.exec(p.stdout)?.[1];
    assert.equal(digest, sha(execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/team/bb:1`])));
    const dst = newRoot();
    const r = await tug(['pull', `${reg.host}/team/bb:1`], { root: dst, env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(ImageService.open(dst).resolve(`${reg.host}/team/bb:1`).id, seed.id);
    const r2 = await tug(['pull', `${reg.host}/team/bb@${digest}`], { root: newRoot(), env });
    assert.equal(r2.code, 0, r2.stderr);
    images.tag(seed, `${reg.host}/team/copy:1`);
    const m = await tug(['push', `${reg.host}/team/copy:1`], { root: src, env });
    assert.equal(m.code, 0, m.stderr);
    assert.match(m.stdout, /^[0-9a-f]{12}: Mounted from team\/bb$/m);
  });

  await t.test('tug registry serve with htpasswd: bearer token flow after tug login', async () => {
    const dir = mkdtempSync('/var/tmp/tug-htpasswd-');
    stops.push(async () => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'htpasswd'), `bob:${bcrypt.hashSync('hunter2', 5)}\n`);
    const reg = await startTugRegistry(newRoot(), ['--htpasswd', join(dir, 'htpasswd')]);
    stops.push(reg.stop);
    const probe = await fetch(`http://${reg.host}/v2/`);
    assert.equal(probe.status, 401);
    assert.match(probe.headers.get('www-authenticate') ?? '', /^Bearer realm=/);
    images.tag(seed, `${reg.host}/secure/bb:1`);
    const denied = await tug(['push', `${reg.host}/secure/bb:1`], { root: src, env });
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /^Error: .*(unauthorized|authentication required)/m);
    assert.match(denied.stderr, new RegExp(`^Hint: .*tug login ${reg.host}`, 'm'));
    const bad = await tug(['login', '-u', 'bob', '--password-stdin', reg.host], { root: src, env, input: 'nope' });
    assert.equal(bad.code, 1);
    const login = await tug(['login', '-u', 'bob', '--password-stdin', reg.host], { root: src, env, input: 'hunter2' });
    assert.equal(login.code, 0, login.stderr);
    const p = await tug(['push', `${reg.host}/secure/bb:1`], { root: src, env });
    assert.equal(p.code, 0, p.stderr + reg.log());
    const digest = /^1: digest: (sha256:[0-9a-f]{64})/m.exec(p.stdout)?.[1];
    const raw = execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', '--creds', 'bob:hunter2', `docker://${reg.host}/secure/bb:1`]);
    assert.equal(digest, sha(raw));
    const dst = newRoot();
    const r = await tug(['pull', `${reg.host}/secure/bb:1`], { root: dst, env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(ImageService.open(dst).resolve(`${reg.host}/secure/bb:1`).manifestDigest, digest);
  });

  await t.test('docker-registry with htpasswd: basic auth for push and pull', { skip: !haveDockerRegistry() && 'docker-registry not installed' }, async () => {
    const reg = await startDockerRegistry({ users: { carol: 'pw-carol' } });
    stops.push(reg.stop);
    images.tag(seed, `${reg.host}/basic/bb:1`);
    const denied = await tug(['pull', `${reg.host}/basic/bb:1`], { root: newRoot(), env });
    assert.equal(denied.code, 1);
    assert.doesNotMatch(denied.stderr, /internal error/);
    const login = await tug(['login', '-u', 'carol', '--password-stdin', reg.host], { root: src, env, input: 'pw-carol\n' });
    assert.equal(login.code, 0, login.stderr);
    const p = await tug(['push', `${reg.host}/basic/bb:1`], { root: src, env });
    assert.equal(p.code, 0, p.stderr);
    const digest = /^1: digest: (sha256:[0-9a-f]{64})/m.exec(p.stdout)?.[1];
    assert.equal(digest, sha(execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', '--creds', 'carol:pw-carol', `docker://${reg.host}/basic/bb:1`])));
    const r = await tug(['pull', `${reg.host}/basic/bb:1`], { root: newRoot(), env });
    assert.equal(r.code, 0, r.stderr);
  });

  await t.test('HTTPS with a CA from the certs.d layout (tug registry serve --tls-cert)', async () => {
    const dir = mkdtempSync('/var/tmp/tug-tls-');
    stops.push(async () => rmSync(dir, { recursive: true, force: true }));
    // a private CA and a server certificate for 127.0.0.1, made with openssl
    const o = (args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    o(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=tug test CA']);
    o(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
    writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
    o(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '1', '-extfile', 'san.ext']);
    const reg = await startTugRegistry(newRoot(), ['--tls-cert', join(dir, 'server.crt'), '--tls-key', join(dir, 'server.key')], true);
    stops.push(reg.stop);
    const certs = join(dir, 'certs.d');
    mkdirSync(join(certs, reg.host), { recursive: true });
    writeFileSync(join(certs, reg.host, 'ca.crt'), readFileSync(join(dir, 'ca.crt')));
    images.tag(seed, `${reg.host}/tls/bb:1`);
    const tenv = { ...env, TUG_CERTS_DIR: certs };
    const p = await tug(['push', `${reg.host}/tls/bb:1`], { root: src, env: tenv });
    assert.equal(p.code, 0, p.stderr + reg.log());
    const digest = /^1: digest: (sha256:[0-9a-f]{64})/m.exec(p.stdout)?.[1];
    const raw = execFileSync('skopeo', ['inspect', '--raw', '--cert-dir', join(certs, reg.host), `docker://${reg.host}/tls/bb:1`]);
    assert.equal(digest, sha(raw));
    const dst = newRoot();
    const r = await tug(['pull', `${reg.host}/tls/bb:1`], { root: dst, env: tenv });
    assert.equal(r.code, 0, r.stderr);
    // a CA that did not sign the server certificate: refused, with a hint
    const other = join(dir, 'other.d');
    mkdirSync(join(other, reg.host), { recursive: true });
    o(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'o.key', '-out', join(other, reg.host, 'ca.crt'), '-days', '1', '-subj', '/CN=other CA']);
    const bad = await tug(['pull', `${reg.host}/tls/bb:1`], { root: newRoot(), env: { ...env, TUG_CERTS_DIR: other } });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^Error: Get "https:\/\/127\.0\.0\.1:\d+\/v2\/tls\/bb\/manifests\/1": .*certificate/m);
    assert.doesNotMatch(bad.stderr, /internal error/);
  });
});
