// Errors point at file:line:column with the offending line and a caret; a
// seeded fuzz run feeds thousands of random and mutated Dockerfiles through
// every entry point and accepts no error but DockerfileError (code SYNTAX).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseDockerfile, resolveStages, lint, StageEnv, expandInstruction, describeDockerfile, dumpAst, parseAst, DockerfileError,
} from '../../src/dockerfile/index.js';
import { TugError } from '../../src/util/errors.js';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED, tug } from '../helpers.js';

function err(src: string, filename?: string): DockerfileError {
  try {
    const df = parseDockerfile(src, { filename });
    resolveStages(df);
  } catch (e) {
    if (e instanceof DockerfileError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('error locations', () => {
  test('line, column, source line and caret', () => {
    const e = err('FROM alpine\n\n  RUNN echo hi\n', 'app/Dockerfile');
    assert.equal(e.message, 'app/Dockerfile:3:3: unknown instruction: RUNN (did you mean RUN?)\n 3 |   RUNN echo hi\n   |   ^');
    assert.deepEqual(e.location, { file: 'app/Dockerfile', line: 3, column: 3, source: '  RUNN echo hi' });
    assert.equal(e.hint, 'did you mean RUN?');
    assert.equal(e.code, 'SYNTAX');
    assert.ok(e instanceof TugError);
  });
  test('the caret points at an unknown flag', () => {
    const e = err('FROM alpine\nCOPY --link --form=build a b\n');
    assert.equal(e.location?.column, 13);
    assert.match(e.message, /\n 2 \| COPY --link --form=build a b\n {3}\| {13}\^$/);
  });
  test('the caret points at a bad --mount', () => {
    assert.equal(err('FROM a\nRUN --network=none --mount=type=bogus,target=/x true\n').location?.column, 20);
  });
  test('a multi-line instruction reports its first line', () => {
    assert.equal(err('FROM a\nRUN --mount=type=cache \\\n  true\n').location?.line, 2);
  });
  test('tabs are kept so the caret lines up', () => {
    assert.match(err('FROM a\n\tRUNN x\n').message, /\n {3}\| \t\^$/);
  });
  test('an unterminated heredoc names the delimiter', () => {
    const e = err('FROM a\nRUN <<END\necho\n');
    assert.match(e.message, /^Dockerfile:2:1: unterminated heredoc/);
    assert.match(e.hint ?? '', /"END"/);
  });
  test('a keyword glued to its JSON array gets a hint', () => {
    const e = err('FROM node\nCMD["node", "server.js"]\n');
    assert.match(e.message, /^Dockerfile:2:1: unknown instruction: CMD\["node",/);
    assert.equal(e.hint, 'put a space between CMD and [');
  });
  test('an empty file', () => assert.match(err('').message, /file with no instructions/));
  test('only comments', () => assert.match(err('# a\n# b\n').message, /file with no instructions/));
  test('a line longer than 64 KiB', () => assert.match(err('FROM a\nLABEL x=' + 'a'.repeat(70000) + '\n').message, /dockerfile line greater than max allowed size of 65535/));
  test('a self-reference points at the COPY that makes it', () => {
    assert.match(err('FROM alpine AS a\nRUN true\nCOPY --from=a x y\n').message, /^Dockerfile:3:1: circular dependency detected on stage: a\n 3 \| COPY --from=a x y\n/);
  });
  test('the CLI prints the error and exits 1', async () => {
    const r = await tug(['dockerfile', 'parse', '-'], { input: 'FROM a\nCOPY --form=x a b\n' });
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'Error: Dockerfile:2:6: unknown flag: form (did you mean from?)\n 2 | COPY --form=x a b\n   |      ^\nHint: COPY accepts --from, --chown, --chmod, --link, --parents, --exclude\n');
  });
  test('the CLI reports a missing file', async () => {
    const r = await tug(['dockerfile', 'parse', '/nonexistent/Dockerfile']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Error: \/nonexistent\/Dockerfile: no such file\n/);
  });
});

// mulberry32: small, fast, seeded.
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FRAGMENTS = [
  'FROM alpine', 'FROM --platform=$BUILDPLATFORM golang:${V:-1} AS build', 'FROM build AS b2', 'from scratch as X', 'ARG V=1', 'ARG A B=2 C="x y"',
  'ENV A=1 B="two words" C=$A', 'ENV LEGACY value with spaces', 'LABEL a=b "c d"="e"', 'RUN echo $HOME && ls', 'RUN ["a", "b"]',
  'RUN --mount=type=cache,target=/root/.cache,sharing=locked --mount=type=secret,id=s go build', 'RUN --network=none --security=insecure x',
  'RUN <<EOF\necho hi\nEOF', 'RUN <<-"EOT"\n\techo $x\n\tEOT', 'COPY --from=build --chown=1:1 --chmod=755 --link /a /b', 'COPY <<A <<B /d/\na\nA\nb\nB',
  'ADD --checksum=sha256:abc --keep-git-dir https://x/y.git /z', 'ADD --exclude=*.md . /app', 'COPY --parents a/b c', 'EXPOSE 80 443/tcp 8000-8010/udp ${P}',
  'VOLUME ["/a", "/b"]', 'VOLUME /c $D', 'USER ${U:-app}', 'WORKDIR ${W#/}/x', 'ONBUILD RUN make', 'ONBUILD COPY . /src', 'STOPSIGNAL SIGTERM',
  'HEALTHCHECK --interval=5s --retries=3 CMD curl -f http://x/ || exit 1', 'HEALTHCHECK NONE', 'SHELL ["/bin/bash", "-c"]', 'MAINTAINER me',
  'CMD ["x"]', 'ENTRYPOINT exec y', 'RUN a \\\n  # comment\n\n  b', '# check=skip=all;error=true', '# escape=`', '# syntax=docker/dockerfile:1',
  'COPY --from=${SRC:-0} x y', 'RUN --mount=from=build,target=/b ls', 'WORKDIR ${X/a/b}', 'ENV P=${Q:-need Q}', 'LABEL x=${y//a/b}', 'EXPOSE ${X%%/*}',
];
const NOISE = ['\\', '"', "'", '$', '{', '}', '[', ']', '<<', '<<-', '=', '--', ' ', '\n', '\t', '#', ',', '`', 'EOF', '${', ':-', '%%', '##', '/', '\r\n', '\u00e9', '\uFEFF'];

function randomDockerfile(r: () => number): string {
  const n = 1 + Math.floor(r() * 12);
  const lines: string[] = r() < 0.8 ? ['FROM alpine AS s' + Math.floor(r() * 3)] : [];
  for (let i = 0; i < n; i++) lines.push(FRAGMENTS[Math.floor(r() * FRAGMENTS.length)]);
  let s = lines.join('\n') + (r() < 0.8 ? '\n' : '');
  const mutations = r() < 0.4 ? 0 : Math.floor(r() * 6);
  for (let m = 0; m < mutations; m++) {
    const pos = Math.floor(r() * (s.length + 1));
    const op = r();
    if (op < 0.4) s = s.slice(0, pos) + NOISE[Math.floor(r() * NOISE.length)] + s.slice(pos);
    else if (op < 0.7) s = s.slice(0, pos) + s.slice(pos + 1 + Math.floor(r() * 4));
    else if (op < 0.85) s = s.slice(0, pos) + s.slice(pos, pos + 8) + s.slice(pos);
    else s = s.slice(0, pos) + String.fromCharCode(Math.floor(r() * 0x80)) + s.slice(pos);
  }
  return s;
}

/** Runs every entry point on `src`; returns 'ok' or 'syntax'; anything else throws. */
function exercise(src: string): 'ok' | 'syntax' {
  try {
    dumpAst(parseAst(src));
    const df = parseDockerfile(src);
    lint(df);
    describeDockerfile(df);
    const build = resolveStages(df, { buildArgs: { V: '2', HTTP_PROXY: 'x' } });
    for (const rs of build.stages) {
      const scope = new StageEnv({ globalArgs: build.globalArgs, platformArgs: rs.platformArgs, escapeToken: df.escapeToken });
      for (const i of rs.stage.instructions) {
        scope.apply(i);
        expandInstruction(i, new Map([['D', '/d']]), df.escapeToken);
        if (i.kind === 'ONBUILD') expandInstruction(i.trigger, new Map(), df.escapeToken);
      }
    }
    return 'ok';
  } catch (e) {
    if (e instanceof DockerfileError && e.code === 'SYNTAX' && e instanceof TugError && typeof e.message === 'string') return 'syntax';
    throw new Error(`non-syntax error for input ${JSON.stringify(src)}: ${e instanceof Error ? e.stack : String(e)}`);
  }
}

describe('fuzz', () => {
  test('5,000 random and mutated Dockerfiles: only DockerfileError escapes', () => {
    const seed = Number(process.env.TUG_FUZZ_SEED ?? 20261126);
    const r = rng(seed);
    const counts = { ok: 0, syntax: 0 };
    const started = Date.now();
    for (let i = 0; i < 5000; i++) counts[exercise(randomDockerfile(r))]++;
    // Both outcomes must occur, or the generator is not exercising anything.
    assert.ok(counts.ok > 500, `only ${counts.ok} valid inputs (seed ${seed})`);
    assert.ok(counts.syntax > 500, `only ${counts.syntax} invalid inputs (seed ${seed})`);
    assert.ok(Date.now() - started < 60_000, 'fuzz run too slow');
  });
  test('2,000 mutated BuildKit corpus Dockerfiles: only DockerfileError escapes', (t) => {
    const dir = join(SHARED, 'corpora', 'buildkit', 'frontend', 'dockerfile', 'parser', 'testfiles');
    if (!existsSync(dir)) return t.skip(`BuildKit corpus not found at ${dir}`);
    const seeds = readdirSync(dir).sort().map((c) => readFileSync(join(dir, c, 'Dockerfile'), 'utf8'));
    const r = rng(Number(process.env.TUG_FUZZ_SEED ?? 7));
    const inserts = ['\\\n', '<<EOF\n', '${', '"', "'", '[', '--mount=type=cache,target=/x ', '\nFROM x AS y\n', '\nCOPY --from=y a b\n', '$'];
    for (let n = 0; n < 2000; n++) {
      let s = seeds[Math.floor(r() * seeds.length)];
      for (let k = Math.floor(r() * 8); k > 0; k--) {
        const p = Math.floor(r() * (s.length + 1));
        const op = r();
        if (op < 0.3) s = s.slice(0, p) + String.fromCharCode(Math.floor(r() * 0x100)) + s.slice(p);
        else if (op < 0.6) s = s.slice(0, p) + s.slice(p + 1 + Math.floor(r() * 10));
        else if (op < 0.8) s = s.slice(0, p) + inserts[Math.floor(r() * inserts.length)] + s.slice(p);
        else {
          const q = Math.floor(r() * s.length);
          s = s.slice(0, p) + s.slice(q, q + 20) + s.slice(p);
        }
      }
      exercise(s);
    }
  });
  test('pathological inputs', () => {
    const inputs = [
      '\\', '\\\n', 'FROM a\n\\', '#', '# escape=`\n`', 'FROM a\nRUN <<', 'FROM a\nRUN <<""\n', 'FROM a\nCOPY <<EOF\n', 'FROM a\nRUN [', 'FROM a\nRUN ["\\u"]',
      'FROM a\nENV a=${', 'FROM a\nWORKDIR ${a/[/]}', 'FROM a\nWORKDIR ${a#\\', 'FROM ${', 'ARG a=${b:?x}\nFROM a', 'FROM a\nONBUILD', 'FROM a\nHEALTHCHECK --retries=99999999999 CMD x',
      'FROM a\nRUN --mount=', 'FROM a\nRUN --mount=,,,', 'FROM a\nRUN --mount="', 'FROM a\nCOPY --from= a b', '\u0000FROM a', 'FROM a AS b\nFROM b AS a', 'FROM a\nEXPOSE 99999',
      'FROM a\nEXPOSE 10-5', 'FROM a\nVOLUME ""', 'FROM a\nLABEL =', 'FROM a\nENV ==', 'FROM --platform=${X} a', 'FROM a\n' + 'RUN x \\\n'.repeat(2000),
    ];
    for (const s of inputs) exercise(s);
  });
});
