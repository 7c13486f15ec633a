// Expected values from the Dockerfile reference (ENV/ENTRYPOINT/CMD/EXPOSE
// semantics) and BuildKit's history lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyMetadata, emptyConfig, resolveWorkdir } from '../../src/build/config.js';
import { parseDockerfile } from '../../src/dockerfile/parse.js';
import { StageEnv } from '../../src/dockerfile/expand.js';
import type { ImageConfig } from '../../src/oci/types.js';

function dispatch(text: string, base?: ImageConfig): ImageConfig {
  const df = parseDockerfile(text);
  let config = base ?? emptyConfig({ os: 'linux', architecture: 'amd64' });
  const env = new StageEnv({});
  const stage = { cmdSet: false };
  for (const inst of df.stages[0].instructions) {
    const r = applyMetadata(config, env.apply(inst).instruction, '2024-01-01T00:00:00Z', stage);
    if (r) {
      config = r.config;
      config.history = [...(config.history ?? []), r.history];
    }
  }
  return config;
}

test('ENV, LABEL, EXPOSE ranges, VOLUME, USER, STOPSIGNAL land in the config', () => {
  const c = dispatch('FROM scratch\nENV A=1 B="two words"\nENV C $A\nLABEL x=y\nEXPOSE 80 53/udp 8000-8002\nVOLUME /data\nUSER app\nSTOPSIGNAL SIGINT\n');
  assert.deepEqual(c.config?.Env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'A=1', 'B=two words', 'C=1']);
  assert.deepEqual(c.config?.Labels, { x: 'y' });
  assert.deepEqual(Object.keys(c.config?.ExposedPorts ?? {}), ['80/tcp', '53/udp', '8000/tcp', '8001/tcp', '8002/tcp']);
  assert.deepEqual(c.config?.Volumes, { '/data': {} });
  assert.equal(c.config?.User, 'app');
  assert.equal(c.config?.StopSignal, 'SIGINT');
  assert.equal(c.history?.[0].created_by, 'ENV A=1 B=two words');
  assert.equal(c.history?.every((h) => h.empty_layer), true);
});

test('shell-form CMD uses the SHELL; ENTRYPOINT resets an inherited CMD but not one set in the stage', () => {
  const base = dispatch('FROM scratch\nCMD ["sh"]\n');
  assert.deepEqual(base.config?.Cmd, ['sh']);
  const child = dispatch('FROM scratch\nENTRYPOINT ["/app"]\n', base);
  assert.equal(child.config?.Cmd, null);
  const same = dispatch('FROM scratch\nCMD ["--help"]\nENTRYPOINT ["/app"]\n', base);
  assert.deepEqual(same.config?.Cmd, ['--help']);
  const shell = dispatch('FROM scratch\nSHELL ["/bin/bash", "-c"]\nCMD echo hi\n');
  assert.deepEqual(shell.config?.Cmd, ['/bin/bash', '-c', 'echo hi']);
  assert.equal(shell.history?.[1].created_by, 'CMD ["/bin/bash","-c","echo hi"]');
});

test('HEALTHCHECK options are stored in nanoseconds, NONE disables', () => {
  const c = dispatch('FROM scratch\nHEALTHCHECK --interval=5s --timeout=2s --retries=4 CMD wget -q localhost\n');
  assert.deepEqual(c.config?.Healthcheck, { Test: ['CMD-SHELL', 'wget -q localhost'], Interval: 5e9, Timeout: 2e9, Retries: 4 });
  assert.deepEqual(dispatch('FROM scratch\nHEALTHCHECK NONE\n').config?.Healthcheck, { Test: ['NONE'] });
});

test('WORKDIR resolves relative paths against the current one', () => {
  assert.equal(resolveWorkdir(undefined, 'app'), '/app');
  assert.equal(resolveWorkdir('/a', 'b/../c'), '/a/c');
  assert.equal(resolveWorkdir('/a', '/x'), '/x');
});
