// ARG/ENV scoping, platform and proxy args, the stage graph for a target,
// and realistic multi-stage Dockerfiles (Go, Node, Erlang) with cache and
// secret mounts. Expected values follow the Dockerfile reference.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseDockerfile, resolveStages, StageEnv, expandInstruction, DockerfileError, lint, runInvocation, commandArgv,
  type Dockerfile, type Instruction, type ResolvedStage,
} from '../../src/dockerfile/index.js';
import { assertSubset } from './util.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Dispatches stage `index` in order, as the builder will; returns each expanded instruction. */
function dispatch(df: Dockerfile, index: number, opts: { buildArgs?: Record<string, string>; imageEnv?: Record<string, string>; target?: string } = {}): { out: Instruction[]; scope: StageEnv; rs: ResolvedStage } {
  const build = resolveStages(df, { buildArgs: opts.buildArgs, target: opts.target });
  const rs = build.all[index];
  const scope = new StageEnv({
    imageEnv: Object.entries(opts.imageEnv ?? {}), globalArgs: build.globalArgs, buildArgs: new Map(Object.entries(opts.buildArgs ?? {})),
    platformArgs: rs.platformArgs, escapeToken: df.escapeToken, lines: df.lines,
  });
  const out = rs.stage.instructions.map((i) => scope.apply(i).instruction);
  return { out, scope, rs };
}

const pick = <K extends Instruction['kind']>(list: Instruction[], kind: K): Extract<Instruction, { kind: K }>[] =>
  list.filter((i): i is Extract<Instruction, { kind: K }> => i.kind === kind);

describe('ARG and ENV', () => {
  test('a global ARG is visible in FROM', () => {
    const df = parseDockerfile('ARG VERSION=latest\nFROM busybox:$VERSION\n');
    assert.equal(resolveStages(df).target.baseRef, 'busybox:latest');
  });
  test('a global ARG is not visible inside a stage unless redeclared', () => {
    const { out } = dispatch(parseDockerfile('ARG V=1\nFROM alpine\nWORKDIR /x$V\n'), 0);
    assertSubset(out[0], { kind: 'WORKDIR', path: '/x' });
  });
  test('ARG without a value inside the stage takes the global value', () => {
    const { out } = dispatch(parseDockerfile('ARG VERSION=latest\nFROM busybox:$VERSION\nARG VERSION\nRUN true\nWORKDIR /v/$VERSION\n'), 0);
    assertSubset(pick(out, 'WORKDIR')[0], { path: '/v/latest' });
  });
  test('--build-arg overrides the default everywhere', () => {
    const df = parseDockerfile('ARG VERSION=latest\nFROM busybox:$VERSION\nARG VERSION\nWORKDIR /v/$VERSION\n');
    const { out, rs } = dispatch(df, 0, { buildArgs: { VERSION: '1.36' } });
    assert.equal(rs.baseRef, 'busybox:1.36');
    assertSubset(pick(out, 'WORKDIR')[0], { path: '/v/1.36' });
  });
  test('an ARG in one stage is not visible in the next', () => {
    const { out } = dispatch(parseDockerfile('FROM a\nARG X=1\nFROM b\nWORKDIR /$X\n'), 1);
    assertSubset(out[0], { path: '/' });
  });
  test('ARG is only visible after its declaration', () => {
    const { out } = dispatch(parseDockerfile('FROM a\nWORKDIR /$X\nARG X=1\nWORKDIR /$X\n'), 0);
    assertSubset(pick(out, 'WORKDIR'), [{ path: '/' }, { path: '/1' }]);
  });
  test('ENV beats ARG of the same name', () => {
    const df = parseDockerfile('FROM a\nARG CONT_IMG_VER\nENV CONT_IMG_VER=v1.0.0\nWORKDIR /$CONT_IMG_VER\n');
    const { out } = dispatch(df, 0, { buildArgs: { CONT_IMG_VER: 'v2.0.1' } });
    assertSubset(pick(out, 'WORKDIR')[0], { path: '/v1.0.0' });
  });
  test('an ARG after an ENV of the same name wins for expansion and RUN, not for the image (BuildKit order)', () => {
    const df = parseDockerfile('FROM a\nENV V=env\nARG V\nWORKDIR /$V\n');
    const { out, scope } = dispatch(df, 0, { buildArgs: { V: 'cli' } });
    assertSubset(pick(out, 'WORKDIR')[0], { path: '/cli' });
    assert.equal(scope.runEnv().get('V'), 'cli');
    assert.equal(scope.imageEnv().get('V'), 'env');
    assertSubset(pick(dispatch(df, 0).out, 'WORKDIR')[0], { path: '/env' });
  });
  test('a --build-arg value replaces the default without expanding it', () => {
    const { out } = dispatch(parseDockerfile('FROM a\nARG X="${NEEDED:?must be set}"\nWORKDIR /$X\n'), 0, { buildArgs: { X: 'given' } });
    assertSubset(pick(out, 'WORKDIR')[0], { path: '/given' });
    assert.throws(() => dispatch(parseDockerfile('FROM a\nARG X="${NEEDED:?must be set}"\n'), 0), /NEEDED: must be set/);
  });
  test('ENV from an ARG value (the reference pattern)', () => {
    const df = parseDockerfile('FROM a\nARG CONT_IMG_VER\nENV CONT_IMG_VER=${CONT_IMG_VER:-v1.0.0}\nWORKDIR /$CONT_IMG_VER\n');
    assertSubset(pick(dispatch(df, 0).out, 'WORKDIR')[0], { path: '/v1.0.0' });
    assertSubset(pick(dispatch(df, 0, { buildArgs: { CONT_IMG_VER: 'v2.0.1' } }).out, 'WORKDIR')[0], { path: '/v2.0.1' });
  });
  test('ENV pairs on one line see the old values', () => {
    const { out } = dispatch(parseDockerfile('FROM a\nENV abc=hello\nENV abc=bye def=$abc\nENV ghi=$abc\n'), 0);
    assertSubset(out[1], { pairs: [{ key: 'abc', value: 'bye' }, { key: 'def', value: 'hello' }] });
    assertSubset(out[2], { pairs: [{ key: 'ghi', value: 'bye' }] });
  });
  test('ENV quoting and escapes (reference example)', () => {
    const { out } = dispatch(parseDockerfile('FROM a\nENV MY_NAME="John Doe" MY_DOG=Rex\\ The\\ Dog \\\n    MY_CAT=fluffy\n'), 0);
    assertSubset(out[0], { pairs: [{ key: 'MY_NAME', value: 'John Doe' }, { key: 'MY_DOG', value: 'Rex The Dog' }, { key: 'MY_CAT', value: 'fluffy' }] });
  });
  test('ENV legacy form keeps inner spaces', () => {
    assertSubset(dispatch(parseDockerfile('FROM a\nENV MY_VAR my-value  with spaces\n'), 0).out[0], { pairs: [{ key: 'MY_VAR', value: 'my-value  with spaces' }] });
  });
  test('ENV extends an image variable', () => {
    const { scope } = dispatch(parseDockerfile('FROM a\nENV PATH=/app/bin:$PATH\n'), 0, { imageEnv: { PATH: '/usr/bin:/bin' } });
    assert.equal(scope.imageEnv().get('PATH'), '/app/bin:/usr/bin:/bin');
  });
  test('LABEL values are expanded and unquoted (reference example)', () => {
    const src = 'FROM a\nLABEL "com.example.vendor"="ACME Incorporated"\nLABEL version="1.0"\nLABEL description="This text illustrates \\\nthat label-values can span multiple lines."\n';
    const { out } = dispatch(parseDockerfile(src), 0);
    assertSubset(out, [
      { pairs: [{ key: 'com.example.vendor', value: 'ACME Incorporated' }] },
      { pairs: [{ key: 'version', value: '1.0' }] },
      { pairs: [{ key: 'description', value: 'This text illustrates that label-values can span multiple lines.' }] },
    ]);
  });
  test('ARG defaults can use earlier values', () => {
    const { scope } = dispatch(parseDockerfile('FROM a\nENV B=base\nARG A=$B-x C=${A}\n'), 0);
    assert.equal(scope.declaredArgs().get('A'), 'base-x');
    assert.equal(scope.declaredArgs().get('C'), 'base-x');
  });
  test('ARG declared without a value is not set', () => {
    const { out } = dispatch(parseDockerfile('FROM a\nARG NOVAL\nWORKDIR /${NOVAL-unset}\n'), 0);
    assertSubset(pick(out, 'WORKDIR')[0], { path: '/unset' });
  });
  test('ARG with an empty value is set', () => {
    const { out } = dispatch(parseDockerfile('FROM a\nARG EMPTY=\nWORKDIR /${EMPTY-unset}\n'), 0);
    assertSubset(pick(out, 'WORKDIR')[0], { path: '/' });
  });
  test('ARG values reach RUN through runEnv but not the image env', () => {
    const { scope } = dispatch(parseDockerfile('FROM a\nARG TOKEN_NAME=x\nENV KEEP=1\n'), 0);
    assert.equal(scope.runEnv().get('TOKEN_NAME'), 'x');
    assert.equal(scope.imageEnv().has('TOKEN_NAME'), false);
    assert.equal(scope.imageEnv().get('KEEP'), '1');
  });
  test('global ARG defaults see earlier global ARGs', () => {
    const df = parseDockerfile('ARG REG=docker.io\nARG IMG=$REG/library/alpine\nFROM $IMG\n');
    assert.equal(resolveStages(df).target.baseRef, 'docker.io/library/alpine');
  });
  test('COPY, ADD, EXPOSE, USER, VOLUME, STOPSIGNAL, WORKDIR are expanded', () => {
    const src = 'FROM a\nENV D=/data P=8080 U=app S=SIGINT F=src\nCOPY --chown=$U:$U $F/ $D/\nADD --chmod=755 $F.tar $D\nEXPOSE $P ${P}/udp\nUSER $U\nVOLUME $D\nSTOPSIGNAL $S\nWORKDIR $D/work\n';
    const { out } = dispatch(parseDockerfile(src), 0);
    assertSubset(out.slice(1), [
      { kind: 'COPY', chown: 'app:app', sources: ['src/'], dest: '/data/' },
      { kind: 'ADD', sources: ['src.tar'], dest: '/data' },
      { kind: 'EXPOSE', ports: ['8080', '8080/udp'] },
      { kind: 'USER', user: 'app' },
      { kind: 'VOLUME', paths: ['/data'] },
      { kind: 'STOPSIGNAL', signal: 'SIGINT' },
      { kind: 'WORKDIR', path: '/data/work' },
    ]);
  });
  test('EXPOSE splits an expanded list of ports', () => {
    const { out } = dispatch(parseDockerfile('FROM a\nENV PORTS="80 443"\nEXPOSE $PORTS\n'), 0);
    assertSubset(out[1], { ports: ['80', '443'] });
  });
  test('EXPOSE rejects a bad port after expansion', () => {
    assert.throws(() => dispatch(parseDockerfile('FROM a\nEXPOSE 80/http\n'), 0), /invalid proto: http/);
    assert.throws(() => dispatch(parseDockerfile('FROM a\nEXPOSE abc\n'), 0), /invalid containerPort: abc/);
  });
  test('STOPSIGNAL accepts names and numbers, rejects others', () => {
    for (const sig of ['SIGTERM', 'sigint', 'QUIT', '9', 'SIGRTMIN+3', 'RTMAX-1']) dispatch(parseDockerfile(`FROM a\nSTOPSIGNAL ${sig}\n`), 0);
    assert.throws(() => dispatch(parseDockerfile('FROM a\nSTOPSIGNAL SIGFOO\n'), 0), /Invalid signal: SIGFOO/);
    assert.throws(() => dispatch(parseDockerfile('FROM a\nSTOPSIGNAL 0\n'), 0), /Invalid signal: 0/);
  });
  test('VOLUME rejects an empty path', () => {
    assert.throws(() => dispatch(parseDockerfile('FROM a\nVOLUME ["/a", ""]\n'), 0), /VOLUME specified can not be an empty string/);
  });
  test('RUN, CMD, ENTRYPOINT, SHELL, HEALTHCHECK are not expanded', () => {
    const { out } = dispatch(parseDockerfile('FROM a\nENV X=1\nRUN echo $X\nCMD echo $X\nENTRYPOINT ["$X"]\nHEALTHCHECK CMD test $X\n'), 0);
    assertSubset(out.slice(1), [{ command: ['echo $X'] }, { command: ['echo $X'] }, { command: ['$X'] }, { test: ['CMD-SHELL', 'test $X'] }]);
  });
  test('heredoc bodies are expanded unless the delimiter is quoted', () => {
    const { out } = dispatch(parseDockerfile('FROM a\nENV N=world\nCOPY <<EOF /a\nhello "$N"\nEOF\nCOPY <<"EOF" /b\nhello $N\nEOF\n'), 0);
    assertSubset(out.slice(1), [{ inline: [{ data: 'hello "world"\n' }] }, { inline: [{ data: 'hello $N\n' }] }]);
  });
  test('ONBUILD triggers are stored, not expanded', () => {
    assertSubset(dispatch(parseDockerfile('FROM a\nENV X=1\nONBUILD RUN echo $X\n'), 0).out[1], { expression: 'RUN echo $X' });
  });
  test('expansion reports variables used, for cache explanation', () => {
    const df = parseDockerfile('FROM a\nCOPY $SRC ${DEST:-/app}\n');
    const r = expandInstruction(df.stages[0].instructions[0], new Map([['SRC', '.']]));
    assert.deepEqual([...r.used], ['SRC']);
    assert.deepEqual([...r.unset], ['DEST']);
  });
  test('an expansion error carries the instruction location', () => {
    const df = parseDockerfile('FROM a\n\nWORKDIR ${X:?X must be set}\n');
    assert.throws(() => dispatch(df, 0), (e: unknown) => e instanceof DockerfileError && /^Dockerfile:3:9: failed to process ".*": X: X must be set\n 3 \| WORKDIR \$\{X:\?X must be set\}\n {3}\| {9}\^$/.test(e.message));
  });
});

describe('platform and proxy args', () => {
  test('automatic platform args in FROM', () => {
    const df = parseDockerfile('FROM --platform=$BUILDPLATFORM golang AS build\nFROM alpine\n');
    const r = resolveStages(df, { platform: { build: 'linux/amd64', target: 'linux/arm64' } });
    assertSubset(r.all[0].platform, { os: 'linux', architecture: 'amd64' });
    assertSubset(r.all[1].platform, { os: 'linux', architecture: 'arm64' });
  });
  test('platform args need a declaration inside a stage', () => {
    const df = parseDockerfile('FROM alpine\nWORKDIR /a/$TARGETARCH\nARG TARGETARCH TARGETPLATFORM BUILDOS\nWORKDIR /b/$TARGETARCH/$BUILDOS\nLABEL p=$TARGETPLATFORM\n');
    const build = resolveStages(df, { platform: { build: 'linux/amd64', target: 'linux/arm/v7' } });
    const scope = new StageEnv({ platformArgs: build.target.platformArgs, globalArgs: build.globalArgs });
    const out = df.stages[0].instructions.map((i) => scope.apply(i).instruction);
    assertSubset(out, [{ path: '/a/' }, {}, { path: '/b/arm/linux' }, { pairs: [{ key: 'p', value: 'linux/arm/v7' }] }]);
  });
  test('default platform is this machine', () => {
    const arch = ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch] ?? process.arch;
    const r = resolveStages(parseDockerfile('FROM a\n'));
    assert.equal(r.targetPlatform.architecture, arch);
    assert.equal(r.target.platformArgs.get('TARGETPLATFORM'), `linux/${arch}`);
    assert.equal(r.target.platformArgs.get('BUILDOS'), 'linux');
  });
  test('TARGETVARIANT for arm/v7 and aliases', () => {
    const r = resolveStages(parseDockerfile('FROM a\n'), { platform: { target: 'linux/armhf' } });
    assert.equal(r.target.platformArgs.get('TARGETVARIANT'), 'v7');
    assert.equal(r.target.platformArgs.get('TARGETARCH'), 'arm');
  });
  test('a bad platform is an error', () => {
    assert.throws(() => resolveStages(parseDockerfile('FROM --platform=linux a\n')), /invalid platform "linux"/);
  });
  test('proxy build args reach RUN without ARG and are never "unused"', () => {
    const df = parseDockerfile('FROM a\nRUN apt-get update\n');
    const r = resolveStages(df, { buildArgs: { HTTP_PROXY: 'http://proxy:3128', no_proxy: 'localhost' } });
    assert.deepEqual(r.unusedBuildArgs, []);
    const scope = new StageEnv({ buildArgs: new Map([['HTTP_PROXY', 'http://proxy:3128']]) });
    assert.equal(scope.runEnv().get('HTTP_PROXY'), 'http://proxy:3128');
    assert.equal(scope.imageEnv().has('HTTP_PROXY'), false);
  });
  test('unused build args are reported', () => {
    const df = parseDockerfile('ARG USED\nFROM a\nARG ALSO\n');
    const r = resolveStages(df, { buildArgs: { USED: '1', ALSO: '2', NOPE: '3', ZED: '4' } });
    assert.deepEqual(r.unusedBuildArgs, ['NOPE', 'ZED']);
    assert.deepEqual(r.warnings, ['[Warning] One or more build-args [NOPE ZED] were not consumed']);
  });
  test('BuildKit knobs are not reported as unused', () => {
    const r = resolveStages(parseDockerfile('FROM a\n'), { buildArgs: { BUILDKIT_DOCKERFILE_CHECK: 'error=true', SOURCE_DATE_EPOCH: '0', BUILDKIT_INLINE_CACHE: '1' } });
    assert.deepEqual(r.unusedBuildArgs, []);
  });
  test('a build arg used only by a pruned stage is unused', () => {
    const df = parseDockerfile('FROM a AS one\nARG ONLY_ONE\nFROM b AS two\n');
    assert.deepEqual(resolveStages(df, { buildArgs: { ONLY_ONE: 'x' } }).unusedBuildArgs, ['ONLY_ONE']);
    assert.deepEqual(resolveStages(df, { buildArgs: { ONLY_ONE: 'x' }, target: 'one' }).unusedBuildArgs, []);
  });
});

describe('stage graph', () => {
  const names = (list: ResolvedStage[]): Array<string | number> => list.map((s) => s.name ?? s.index);
  test('the default target is the last stage', () => {
    const r = resolveStages(parseDockerfile('FROM a AS x\nFROM b AS y\n'));
    assert.equal(r.target.name, 'y');
    assert.deepEqual(names(r.stages), ['y']);
    assert.deepEqual(r.pruned.map((s) => s.name), ['x']);
  });
  test('--target picks a stage and prunes the rest', () => {
    const r = resolveStages(parseDockerfile('FROM a AS base\nFROM base AS test\nFROM base AS release\n'), { target: 'test' });
    assert.deepEqual(names(r.stages), ['base', 'test']);
    assert.deepEqual(r.pruned.map((s) => s.name), ['release']);
  });
  test('target names are case-insensitive', () => assert.equal(resolveStages(parseDockerfile('FROM a AS build\nFROM b\n'), { target: 'BUILD' }).target.name, 'build'));
  test('FROM <stage> is a dependency', () => {
    const r = resolveStages(parseDockerfile('FROM alpine AS base\nFROM base AS app\n'));
    assert.equal(r.target.baseStage, 0);
    assert.deepEqual(r.target.dependsOn, [0]);
    assert.deepEqual(r.images, ['alpine']);
  });
  test('FROM names a stage exactly as its lower-case name', () => {
    const r = resolveStages(parseDockerfile('FROM alpine AS Build\nFROM build AS one\nFROM BUILD AS two\n'), { target: 'two' });
    assert.equal(r.all[1].baseStage, 0);
    assert.equal(r.target.baseStage, undefined);
    assert.deepEqual(r.images, ['BUILD']);
  });
  test('FROM x AS x builds on the image x, not on itself', () => {
    const r = resolveStages(parseDockerfile('FROM node:20 AS node\nFROM node AS app\nFROM golang AS golang\n'), { target: 'golang' });
    assert.equal(r.target.baseStage, undefined);
    assert.deepEqual(r.images, ['golang']);
    assert.equal(resolveStages(parseDockerfile('FROM node:20 AS node\nFROM node AS app\n')).target.baseStage, 0);
  });
  test('COPY --from names stages case-insensitively', () => {
    assert.deepEqual(resolveStages(parseDockerfile('FROM a AS build\nFROM b\nCOPY --from=BUILD x y\n')).target.dependsOn, [0]);
  });
  test('COPY --from=name, --from=index and --from=image', () => {
    const r = resolveStages(parseDockerfile('FROM a AS one\nFROM b AS two\nFROM c\nCOPY --from=one /a /a\nCOPY --from=1 /b /b\nCOPY --from=nginx:latest /c /c\n'));
    assertSubset(r.target.deps, [
      { kind: 'from', image: 'c' }, { kind: 'copy', stage: 0, ref: 'one' }, { kind: 'copy', stage: 1, ref: '1' }, { kind: 'copy', image: 'nginx:latest' },
    ]);
    assert.deepEqual(names(r.stages), ['one', 'two', 2]);
    assert.deepEqual(r.images, ['a', 'b', 'c', 'nginx:latest']);
  });
  test('RUN --mount from= is a dependency', () => {
    const r = resolveStages(parseDockerfile('FROM a AS deps\nFROM b AS unused\nFROM c\nRUN --mount=from=deps,target=/d ls /d\nRUN --mount=type=cache,from=deps,target=/c true\n'));
    assert.deepEqual(r.target.dependsOn, [0]);
    assert.deepEqual(r.pruned.map((s) => s.name), ['unused']);
    assert.equal(r.target.deps.filter((d) => d.kind === 'mount').length, 2);
  });
  test('RUN --mount from= takes stage names, not indexes', () => {
    const r = resolveStages(parseDockerfile('FROM a AS deps\nFROM b\nRUN --mount=from=0,target=/d true\n'));
    assert.deepEqual(r.target.dependsOn, []);
    assertSubset(r.target.deps[1], { kind: 'mount', image: '0' });
  });
  test('COPY --from with an ARG', () => {
    const df = parseDockerfile('ARG SRC=one\nFROM a AS one\nFROM b AS two\nFROM c\nARG SRC\nCOPY --from=$SRC /x /x\n');
    assert.deepEqual(resolveStages(df).target.dependsOn, [0]);
    assert.deepEqual(resolveStages(df, { buildArgs: { SRC: 'two' } }).target.dependsOn, [1]);
  });
  test('dependencies come first, each once', () => {
    const df = parseDockerfile('FROM a AS base\nFROM base AS deps\nFROM base AS build\nCOPY --from=deps / /\nFROM scratch\nCOPY --from=build / /\nCOPY --from=deps / /\n');
    assert.deepEqual(names(resolveStages(df).stages), ['base', 'deps', 'build', 3]);
  });
  test('FROM a later stage name is an image reference', () => {
    const r = resolveStages(parseDockerfile('FROM later AS first\nFROM alpine AS later\n'), { target: 'first' });
    assert.deepEqual(names(r.stages), ['first']);
    assert.deepEqual(r.images, ['later']);
  });
  test('COPY --from a stage defined later is an error when that stage is built', () => {
    const df = parseDockerfile('FROM a AS one\nCOPY --from=two x y\nFROM b AS two\nFROM c AS three\n');
    assert.throws(() => resolveStages(df, { target: 'one' }), /cannot copy from stage "two", it needs to be defined before current stage "one"/);
    assert.deepEqual(names(resolveStages(df).stages), ['three']);
  });
  test('RUN --mount from a later stage is an error too', () => {
    assert.throws(() => resolveStages(parseDockerfile('FROM a AS one\nRUN --mount=from=two,target=/x true\nFROM b AS two\n'), { target: 'one' }), /cannot mount from stage "two", it needs to be defined before current stage "one"/);
  });
  test('FROM scratch needs no image', () => {
    const r = resolveStages(parseDockerfile('FROM scratch\nCOPY a b\n'));
    assert.equal(r.target.scratch, true);
    assert.deepEqual(r.images, []);
  });
  test('a cycle is an error', () => {
    const df = parseDockerfile('FROM alpine AS a\nCOPY --from=b / /\nFROM alpine AS b\nCOPY --from=a / /\n');
    assert.throws(() => resolveStages(df), /circular dependency detected on stage: (a|b)/);
  });
  test('copying from itself is a cycle', () => {
    assert.throws(() => resolveStages(parseDockerfile('FROM alpine AS a\nCOPY --from=a x y\n')), /circular dependency detected on stage: a/);
  });
  test('duplicate stage names are an error', () => {
    assert.throws(() => resolveStages(parseDockerfile('FROM a AS x\nFROM b AS x\n')), (e: unknown) => e instanceof DockerfileError && /Dockerfile:2:1: duplicate stage name "x"/.test(e.message));
  });
  test('an unknown target is an error with a suggestion', () => {
    assert.throws(() => resolveStages(parseDockerfile('FROM a AS build\nFROM b AS release\n'), { target: 'biuld' }), (e: unknown) =>
      e instanceof DockerfileError && /target stage "biuld" could not be found/.test(e.message) && /did you mean "build"/.test(e.hint ?? ''));
  });
  test('an out-of-range stage index is an error', () => {
    assert.throws(() => resolveStages(parseDockerfile('FROM a\nFROM b\nCOPY --from=5 x y\n')), /invalid stage index 5/);
  });
  test('FROM build_${TARGETARCH} picks the stage for the target platform', () => {
    const df = parseDockerfile('FROM --platform=linux/amd64 alpine AS build_amd64\nFROM --platform=linux/arm64 alpine AS build_arm64\nFROM build_${TARGETARCH} AS build\n');
    assert.equal(resolveStages(df, { platform: { target: 'linux/arm64' } }).target.baseStage, 1);
    assert.equal(resolveStages(df, { platform: { target: 'linux/amd64' } }).target.baseStage, 0);
  });
  test('an empty base name is an error', () => {
    assert.throws(() => resolveStages(parseDockerfile('ARG IMG\nFROM $IMG\n')), /base name \(\$IMG\) should not be blank/);
  });
});

const GO = `# syntax=docker/dockerfile:1
ARG GO_VERSION=1.22
FROM --platform=$BUILDPLATFORM golang:\${GO_VERSION}-bookworm AS build
WORKDIR /src
RUN --mount=type=cache,target=/go/pkg/mod \\
    --mount=type=bind,source=go.sum,target=go.sum \\
    --mount=type=bind,source=go.mod,target=go.mod \\
    go mod download -x
ARG TARGETOS TARGETARCH
RUN --mount=type=cache,target=/go/pkg/mod \\
    --mount=type=cache,target=/root/.cache/go-build \\
    --mount=type=bind,target=. \\
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /bin/server ./cmd/server

FROM build AS test
RUN --mount=type=cache,target=/root/.cache/go-build go test ./...

FROM gcr.io/distroless/static-debian12:nonroot AS final
COPY --from=build /bin/server /bin/server
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/bin/server"]
`;

const NODE = `# syntax=docker/dockerfile:1
ARG NODE_VERSION=20.11.0
FROM node:\${NODE_VERSION}-alpine AS base
WORKDIR /usr/src/app

FROM base AS deps
RUN --mount=type=bind,source=package.json,target=package.json \\
    --mount=type=bind,source=package-lock.json,target=package-lock.json \\
    --mount=type=cache,target=/root/.npm \\
    --mount=type=secret,id=npmrc,target=/root/.npmrc \\
    npm ci --omit=dev

FROM deps AS build
RUN --mount=type=cache,target=/root/.npm npm ci
COPY . .
RUN npm run build

FROM base AS final
ENV NODE_ENV=production
USER node
COPY package.json .
COPY --from=deps /usr/src/app/node_modules ./node_modules
COPY --from=build /usr/src/app/dist ./dist
EXPOSE 3000
CMD ["node", "dist/index.js"]
`;

const ERLANG = `ARG OTP_VERSION=26.2
ARG REBAR_PROFILE=prod
FROM erlang:\${OTP_VERSION}-alpine AS builder
ARG REBAR_PROFILE
WORKDIR /app
RUN apk add --no-cache git openssh-client
COPY rebar.config rebar.lock ./
RUN --mount=type=ssh \\
    --mount=type=cache,id=hex,target=/root/.cache/rebar3,sharing=locked \\
    rebar3 as $REBAR_PROFILE compile
COPY . .
RUN --mount=type=cache,id=hex,target=/root/.cache/rebar3,sharing=locked \\
    rebar3 as \${REBAR_PROFILE} release

FROM alpine:3.19 AS runtime
RUN apk add --no-cache ncurses-libs libstdc++ openssl
ARG REBAR_PROFILE
WORKDIR /opt/app
COPY --from=builder /app/_build/\${REBAR_PROFILE}/rel/myapp ./
HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD ["bin/myapp", "ping"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["bin/myapp"]
CMD ["foreground"]
`;

describe('realistic Dockerfiles', () => {
  test('Go: stages, cache mounts, platform args, target pruning', () => {
    const df = parseDockerfile(GO);
    assert.equal(df.directives.syntax, 'docker/dockerfile:1');
    const r = resolveStages(df, { platform: { build: 'linux/amd64', target: 'linux/arm64' } });
    assert.deepEqual(r.stages.map((s) => s.name), ['build', 'final']);
    assert.deepEqual(r.pruned.map((s) => s.name), ['test']);
    assert.equal(r.all[0].baseRef, 'golang:1.22-bookworm');
    assertSubset(r.all[0].platform, { architecture: 'amd64' });
    assertSubset(r.target.platform, { architecture: 'arm64' });
    const build = df.stages[0].instructions[3];
    assertSubset(build, { kind: 'RUN', mounts: [{ type: 'cache', target: '/go/pkg/mod' }, { type: 'cache', target: '/root/.cache/go-build' }, { type: 'bind', target: '.', source: undefined }] });
    const scope = new StageEnv({ platformArgs: r.all[0].platformArgs, globalArgs: r.globalArgs });
    for (const i of df.stages[0].instructions) scope.apply(i);
    assert.equal(scope.runEnv().get('TARGETARCH'), 'arm64');
    assert.equal(scope.runEnv().get('TARGETOS'), 'linux');
    assert.deepEqual(resolveStages(df, { target: 'test' }).stages.map((s) => s.name), ['build', 'test']);
    assert.deepEqual(lint(df).map((w) => w.rule), []);
  });
  test('Node: deps/build/final with a secret mount', () => {
    const df = parseDockerfile(NODE);
    const r = resolveStages(df);
    assert.deepEqual(r.stages.map((s) => s.name), ['base', 'deps', 'build', 'final']);
    assert.equal(r.all[0].baseRef, 'node:20.11.0-alpine');
    assert.deepEqual(r.images, ['node:20.11.0-alpine']);
    const secret = (df.stages[1].instructions[0] as Extract<Instruction, { kind: 'RUN' }>).mounts[3];
    assertSubset(secret, { type: 'secret', id: 'npmrc', target: '/root/.npmrc', mode: 0o400 });
    assert.deepEqual(r.target.dependsOn, [0, 1, 2]);
    assert.deepEqual(lint(df).map((w) => w.rule), []);
  });
  test('Erlang: ssh and shared cache mounts, ARG across stages', () => {
    const df = parseDockerfile(ERLANG);
    const r = resolveStages(df, { buildArgs: { REBAR_PROFILE: 'staging' } });
    assert.deepEqual(r.stages.map((s) => s.name), ['builder', 'runtime']);
    assert.equal(r.all[0].baseRef, 'erlang:26.2-alpine');
    const compile = df.stages[0].instructions[4];
    assertSubset(compile, { kind: 'RUN', mounts: [{ type: 'ssh', id: 'default' }, { type: 'cache', id: 'hex', sharing: 'locked' }] });
    const scope = new StageEnv({ globalArgs: r.globalArgs, buildArgs: new Map([['REBAR_PROFILE', 'staging']]), platformArgs: r.target.platformArgs });
    const out = df.stages[1].instructions.map((i) => scope.apply(i).instruction);
    assertSubset(pick(out, 'COPY')[0], { from: 'builder', sources: ['/app/_build/staging/rel/myapp'] });
    assertSubset(pick(out, 'HEALTHCHECK')[0], { test: ['CMD', 'bin/myapp', 'ping'], interval: 30e9, timeout: 5e9, retries: 3 });
    assert.deepEqual(r.unusedBuildArgs, []);
    assert.deepEqual(lint(df).map((w) => w.rule), []);
  });
});

describe('commands as the runtime gets them', () => {
  const run = (src: string): Extract<Instruction, { kind: 'RUN' }> => parseDockerfile('FROM a\n' + src).stages[0].instructions[0] as Extract<Instruction, { kind: 'RUN' }>;
  test('shell form gets /bin/sh -c', () => assert.deepEqual(runInvocation(run('RUN echo $HOME')).argv, ['/bin/sh', '-c', 'echo $HOME']));
  test('exec form is unchanged', () => assert.deepEqual(runInvocation(run('RUN ["echo", "$HOME"]')).argv, ['echo', '$HOME']));
  test('SHELL replaces the default shell', () => assert.deepEqual(runInvocation(run('RUN Get-Date'), ['pwsh', '-c']).argv, ['pwsh', '-c', 'Get-Date']));
  test('RUN <<EOF runs the body as the script', () => {
    assert.deepEqual(runInvocation(run('RUN <<EOF\napt-get update\napt-get install -y vim\nEOF')), { argv: ['/bin/sh', '-c', 'apt-get update\napt-get install -y vim\n'], files: [] });
  });
  test('a #! body is executed directly from /dev/pipes', () => {
    assert.deepEqual(runInvocation(run('RUN <<EOF\n#!/usr/bin/env python3\nprint("hi")\nEOF')), {
      argv: ['/dev/pipes/EOF'], files: [{ path: '/dev/pipes/EOF', data: '#!/usr/bin/env python3\nprint("hi")\n', mode: 0o755 }],
    });
  });
  test('heredocs used by a command are appended for the shell', () => {
    assert.deepEqual(runInvocation(run('RUN cat <<A > /a && cat <<B > /b\nx\nA\ny\nB')).argv, ['/bin/sh', '-c', 'cat <<A > /a && cat <<B > /b\nx\nA\ny\nB']);
  });
  test('the appended script works in a real shell (several heredocs, <<- tabs)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tug-df-sh-'));
    try {
      const inv = runInvocation(run(`RUN cat <<A > ${dir}/a && cat <<-B > ${dir}/b\nfirst $((1+1))\nA\n\tsecond\n\tB`));
      const r = spawnSync(inv.argv[0], inv.argv.slice(1), { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(readFileSync(join(dir, 'a'), 'utf8'), 'first 2\n');
      assert.equal(readFileSync(join(dir, 'b'), 'utf8'), 'second\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  test('CMD and ENTRYPOINT', () => {
    const df = parseDockerfile('FROM a\nCMD ["nginx", "-g", "daemon off;"]\nENTRYPOINT exec top -b\n');
    const [cmd, ep] = df.stages[0].instructions as Array<Extract<Instruction, { kind: 'CMD' | 'ENTRYPOINT' }>>;
    assert.deepEqual(commandArgv(cmd), ['nginx', '-g', 'daemon off;']);
    assert.deepEqual(commandArgv(ep), ['/bin/sh', '-c', 'exec top -b']);
  });
});
