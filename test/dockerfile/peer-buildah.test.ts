// Peer check: the image config values that expansion decides (Env, Labels,
// User, WorkingDir, ExposedPorts, Volumes, StopSignal) must match what
// buildah produces for the same metadata-only Dockerfile (FROM scratch, no
// RUN, so nothing executes). Only features buildah's word expansion shares
// with BuildKit are used here: buildah 1.28 has no ${v%p}-style operators and
// ignores `# escape=` when expanding (it unescapes with \ always), where
// BuildKit uses the directive's token; those are covered by the BuildKit corpus.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { isRoot } from '../helpers.js';
import { parseDockerfile, resolveStages, StageEnv } from '../../src/dockerfile/index.js';

interface ImageConfig {
  User?: string;
  Env?: string[];
  Labels?: Record<string, string>;
  WorkingDir?: string;
  ExposedPorts?: Record<string, unknown>;
  Volumes?: Record<string, unknown>;
  StopSignal?: string;
}

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** What tug's dockerfile module says the config is (the metadata part a builder would write). */
function ours(src: string, buildArgs: Record<string, string>): ImageConfig {
  const df = parseDockerfile(src);
  const build = resolveStages(df, { buildArgs });
  const rs = build.target;
  const scope = new StageEnv({
    imageEnv: [['PATH', DEFAULT_PATH.slice(5)]], globalArgs: build.globalArgs, buildArgs: new Map(Object.entries(buildArgs)),
    platformArgs: rs.platformArgs, escapeToken: df.escapeToken,
  });
  const cfg: ImageConfig = { Labels: {}, ExposedPorts: {}, Volumes: {}, WorkingDir: '' };
  for (const inst of rs.stage.instructions) {
    const i = scope.apply(inst).instruction;
    switch (i.kind) {
      case 'LABEL':
        for (const p of i.pairs) (cfg.Labels as Record<string, string>)[p.key] = p.value;
        break;
      case 'USER':
        cfg.User = i.user;
        break;
      case 'WORKDIR':
        cfg.WorkingDir = posix.resolve('/', cfg.WorkingDir || '/', i.path);
        break;
      case 'EXPOSE':
        for (const p of i.ports) (cfg.ExposedPorts as Record<string, unknown>)[p.includes('/') ? p.toLowerCase() : `${p}/tcp`] = {};
        break;
      case 'VOLUME':
        for (const p of i.paths) (cfg.Volumes as Record<string, unknown>)[p] = {};
        break;
      case 'STOPSIGNAL':
        cfg.StopSignal = i.signal;
        break;
    }
  }
  cfg.Env = [...scope.imageEnv()].map(([k, v]) => `${k}=${v}`);
  return cfg;
}

const CASES: Array<[string, string, Record<string, string>]> = [
  ['ENV forms, quoting, escapes, defaults', `FROM scratch
ARG V=1.2.3
ENV A=hello B="two words" C='single $A' E=a\\ b
ENV D=$A-\${B} F=\${NOPE:-dflt} G=\${A:+alt} H=\${NOPE:+alt}x
ENV abc=bye def=$A
ENV LEGACY value with  spaces
LABEL x="$V" "com.example.y"=$D z=\${F}
`, {}],
  ['WORKDIR, USER, EXPOSE, VOLUME, STOPSIGNAL', `FROM scratch
ENV A=hello P=8080
WORKDIR /app/$A
WORKDIR sub
WORKDIR ../other
USER \${A:-nobody}:1000
EXPOSE 80 $P \${P}/udp 9000-9001/tcp
VOLUME ["/data/$A", "/x"]
VOLUME /v/$A /w
STOPSIGNAL SIGINT
`, {}],
  ['build args, global ARG redeclared, ENV beats an earlier ARG', `ARG BASE_TAG=x
FROM scratch
ARG BASE_TAG
ARG VERSION=1.0
ARG NAME
ENV VERSION=env-wins
LABEL tag=$BASE_TAG version=$VERSION name="\${NAME:-anon}"
ENV COPY_OF_NAME=$NAME
`, { VERSION: '2.0', NAME: 'bob' }],
];

describe('image config values agree with buildah', () => {
  const have = spawnSync('buildah', ['--version'], { encoding: 'utf8' }).status === 0;
  for (const [name, src, buildArgs] of CASES) {
    test(name, (t) => {
      if (!have) return t.skip('buildah not installed');
      if (!isRoot) return t.skip('needs root (buildah with a private vfs store)');
      const dir = mkdtempSync(join(tmpdir(), 'tug-df-buildah-'));
      try {
        const store = ['--storage-driver', 'vfs', '--root', join(dir, 'root'), '--runroot', join(dir, 'run')];
        writeFileSync(join(dir, 'Dockerfile'), src);
        const args = ['build', '--layers=false', '-q', '-t', 'tug-df-peer', ...Object.entries(buildArgs).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]), dir];
        const b = spawnSync('buildah', [...store, ...args], { encoding: 'utf8', timeout: 60_000 });
        assert.equal(b.status, 0, b.stderr);
        const r = spawnSync('buildah', [...store, 'inspect', 'tug-df-peer'], { encoding: 'utf8', timeout: 30_000 });
        assert.equal(r.status, 0, r.stderr);
        const theirs = (JSON.parse(r.stdout) as { OCIv1: { config: ImageConfig } }).OCIv1.config;
        const mine = ours(src, buildArgs);
        const labels = { ...(theirs.Labels ?? {}) };
        delete labels['io.buildah.version'];
        assert.deepEqual(mine.Env, theirs.Env);
        assert.deepEqual(mine.Labels, labels);
        assert.equal(mine.User ?? '', theirs.User ?? '');
        assert.equal(mine.WorkingDir ?? '', theirs.WorkingDir ?? '');
        assert.deepEqual(mine.ExposedPorts, theirs.ExposedPorts ?? {});
        assert.deepEqual(mine.Volumes, theirs.Volumes ?? {});
        assert.equal(mine.StopSignal ?? '', theirs.StopSignal ?? '');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
