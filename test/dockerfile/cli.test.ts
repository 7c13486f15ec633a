// `tug dockerfile parse` as a user runs it: text and JSON views of the typed
// instructions, static expansion, heredoc bodies and source lines; and
// parseInstruction for ONBUILD triggers read back from an image.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, tug } from '../helpers.js';
import { parseInstruction, expandInstruction, DockerfileError } from '../../src/dockerfile/index.js';
import { assertSubset } from './util.js';

const SRC = `# syntax=docker/dockerfile:1
ARG GO_VERSION=1.22
FROM golang:\${GO_VERSION} AS build
ENV CGO_ENABLED=0
WORKDIR /src
RUN --mount=type=cache,target=/root/.cache/go-build \\
    go build -o /out/app .
COPY <<EOF /etc/app.conf
listen=:8080
EOF
FROM scratch
COPY --from=build /out/app /app
ENTRYPOINT ["/app"]
`;

interface Json {
  directives: { syntax?: string };
  globalArgs: Array<{ instruction: { kind: string } }>;
  stages: Array<{
    index: number; name?: string; image: string; imageExpanded?: string;
    instructions: Array<{ line: number; endLine: number; source: string[]; instruction: Record<string, unknown>; expanded?: Record<string, unknown> }>;
  }>;
}

describe('tug dockerfile parse', () => {
  test('--json gives typed instructions per stage with lines and heredocs', async () => {
    const dir = tempDir();
    try {
      const file = join(dir, 'Dockerfile');
      writeFileSync(file, SRC);
      const r = await tug(['dockerfile', 'parse', '--json', file]);
      assert.equal(r.code, 0, r.stderr);
      const j = JSON.parse(r.stdout) as Json;
      assert.equal(j.directives.syntax, 'docker/dockerfile:1');
      assert.equal(j.globalArgs[0].instruction.kind, 'ARG');
      assert.equal(j.stages.length, 2);
      assertSubset(j.stages[0], { index: 0, name: 'build', image: 'golang:${GO_VERSION}', imageExpanded: 'golang:1.22' });
      const run = j.stages[0].instructions[2];
      assertSubset(run, { line: 6, endLine: 7, source: ['RUN --mount=type=cache,target=/root/.cache/go-build \\', '    go build -o /out/app .'] });
      assertSubset(run.instruction, { kind: 'RUN', command: ['go build -o /out/app .'], mounts: [{ type: 'cache', target: '/root/.cache/go-build' }] });
      assertSubset(j.stages[0].instructions[3].instruction, { kind: 'COPY', dest: '/etc/app.conf', inline: [{ name: 'EOF', data: 'listen=:8080\n' }] });
      assertSubset(j.stages[1].instructions[0].instruction, { kind: 'COPY', from: 'build' });
      assertSubset(j.stages[1], { dependsOn: [0], usedByDefaultTarget: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  test('--build-arg feeds static expansion', async () => {
    const r = await tug(['dockerfile', 'parse', '--json', '--build-arg', 'GO_VERSION=1.23', '-'], { input: SRC });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as Json).stages[0].imageExpanded, 'golang:1.23');
  });
  test('expanded values appear where they are static', async () => {
    const r = await tug(['dockerfile', 'parse', '--json', '-'], { input: 'FROM a\nENV D=/data\nWORKDIR $D/app\nWORKDIR $UNKNOWN\n' });
    const st = (JSON.parse(r.stdout) as Json).stages[0];
    assertSubset(st.instructions[1], { instruction: { path: '$D/app' }, expanded: { path: '/data/app' } });
    assert.equal(st.instructions[2].expanded, undefined);
  });
  test('text output lists stages and instructions with line numbers', async () => {
    const r = await tug(['dockerfile', 'parse', '-'], { input: SRC });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^directives: syntax=docker\/dockerfile:1\n/);
    assert.match(r.stdout, /\nstage 0 "build": FROM golang:\$\{GO_VERSION\} \(= golang:1\.22\) {2}\[line 3\]\n/);
    assert.match(r.stdout, /\n {5}6 {2}RUN --mount=type=cache,target=\/root\/\.cache\/go-build {2}shell=\["go build -o \/out\/app \."\]/);
    assert.match(r.stdout, /heredoc<<EOF="listen=:8080\\n"/);
    assert.match(r.stdout, /\nstage 1: FROM scratch {2}\[line 11\] {2}needs: build\n/);
  });
  test('stages the last one does not need are marked', async () => {
    const r = await tug(['dockerfile', 'parse', '-'], { input: 'FROM a AS unused\nFROM b\n' });
    assert.match(r.stdout, /^stage 0 "unused": FROM a {2}\[line 1\] {2}\(not needed by the last stage\)\n/);
  });
  test('empty continuation lines are warned about on stderr', async () => {
    const r = await tug(['dockerfile', 'parse', '--dump', '-'], { input: 'FROM a\nRUN a \\\n\n  b\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '(from "a")\n(run "a   b")\n');
    assert.equal(r.stderr, '[WARNING]: Empty continuation line found in: RUN a   b\n[WARNING]: Empty continuation lines will become errors in a future release.\n');
  });
  test('--help', async () => {
    const r = await tug(['dockerfile', 'parse', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Usage: {2}tug dockerfile parse \[OPTIONS\] FILE\|-/);
  });
});

describe('parseInstruction (ONBUILD triggers)', () => {
  test('a RUN trigger', () => assertSubset(parseInstruction('RUN echo hi'), { kind: 'RUN', command: ['echo hi'], location: { startLine: 1 } }));
  test('a COPY trigger expands in the child', () => {
    const i = parseInstruction('COPY $SRC /app/');
    assertSubset(expandInstruction(i, new Map([['SRC', '.']])).instruction, { sources: ['.'], dest: '/app/' });
  });
  test('a heredoc trigger', () => assertSubset(parseInstruction('RUN <<EOF\necho a\nEOF'), { heredocs: [{ data: 'echo a\n' }] }));
  test('backtick escape token', () => assertSubset(parseInstruction('WORKDIR c:\\app', { escapeToken: '`' }), { path: 'c:\\app' }));
  test('FROM is not a trigger', () => {
    assert.throws(() => parseInstruction('FROM alpine'), (e: unknown) => e instanceof DockerfileError && /FROM isn't allowed as an ONBUILD trigger/.test(e.message));
  });
  test('two instructions are refused', () => assert.throws(() => parseInstruction('RUN a\nRUN b'), /expected one instruction, found 2/));
});
