// Build checks: each rule fires on the example from its documentation page
// and stays quiet on the fixed version; the check directive; the CLI.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { lint, parseDockerfile, formatWarnings, formatWarningsShort, checkConfig, LINT_RULES } from '../../src/dockerfile/index.js';
import { tug } from '../helpers.js';

const rules = (src: string): string[] => lint(parseDockerfile(src)).map((w) => w.rule);
const messages = (src: string): string[] => lint(parseDockerfile(src)).map((w) => w.message);

const FIRES: Array<[string, string, string]> = [
  ['StageNameCasing', 'FROM alpine AS BuilderBase\n', "Stage name 'BuilderBase' should be lowercase"],
  ['FromAsCasing', 'FROM debian:latest as builder\n', "'as' and 'FROM' keywords' casing do not match"],
  ['FromAsCasing', 'from debian:latest AS builder\n', "'AS' and 'from' keywords' casing do not match"],
  ['NoEmptyContinuation', 'FROM alpine\nEXPOSE \\\n\n80\n', 'Empty continuation line'],
  ['ConsistentInstructionCasing', 'FROM alpine\nRUN echo hello\ncopy . /app\n', "Command 'copy' should match the case of the command majority (uppercase)"],
  ['ConsistentInstructionCasing', 'from alpine\nrun echo hello\nCOPY . /app\n', "Command 'COPY' should match the case of the command majority (lowercase)"],
  ['ConsistentInstructionCasing', 'FROM alpine\nRUN a\nRun b\n', "Command 'Run' should match the case of the command majority (uppercase)"],
  ['DuplicateStageName', 'FROM debian:latest AS builder\nRUN apt-get update\nFROM golang:latest AS builder\n', "Duplicate stage name 'builder', stage names should be unique"],
  ['ReservedStageName', 'FROM alpine AS scratch\n', "'scratch' is reserved and should not be used as a stage name"],
  ['ReservedStageName', 'FROM alpine AS context\n', "'context' is reserved and should not be used as a stage name"],
  ['JSONArgsRecommended', 'FROM alpine\nENTRYPOINT my-program start\n', 'JSON arguments recommended for ENTRYPOINT to prevent unintended behavior related to OS signals'],
  ['JSONArgsRecommended', 'FROM alpine\nCMD my-program start\n', 'JSON arguments recommended for CMD to prevent unintended behavior related to OS signals'],
  ['MaintainerDeprecated', 'FROM alpine\nMAINTAINER moby@example.com\n', 'Maintainer instruction is deprecated in favor of using label'],
  ['UndefinedArgInFrom', 'FROM node:22${VARIANT} AS jsbuilder\n', "FROM argument 'VARIANT' is not declared"],
  ['UndefinedArgInFrom', 'ARG VERSION=1\nFROM alpine:$VERSIN\n', "FROM argument 'VERSIN' is not declared (did you mean VERSION?)"],
  ['WorkdirRelativePath', 'FROM alpine\nWORKDIR app\n', "Relative workdir 'app' can have unexpected results if the base image changes"],
  ['WorkdirRelativePath', 'FROM alpine\nWORKDIR app\nWORKDIR src\n', "Relative workdir 'app' can have unexpected results if the base image changes"],
  ['UndefinedVar', 'FROM scratch\nCOPY $foo .\n', "Usage of undefined variable '$foo'"],
  ['UndefinedVar', 'FROM alpine\nENV PATH=$PAHT:/app/bin\n', "Usage of undefined variable '$PAHT' (did you mean $PATH?)"],
  ['MultipleInstructionsDisallowed', 'FROM alpine\nENTRYPOINT ["echo", "Hello, Norway!"]\nENTRYPOINT ["echo", "Hello, Sweden!"]\n', 'Multiple ENTRYPOINT instructions should not be used in the same stage because only the last one will be used'],
  ['MultipleInstructionsDisallowed', 'FROM alpine\nCMD ["a"]\nCMD ["b"]\n', 'Multiple CMD instructions should not be used in the same stage because only the last one will be used'],
  ['MultipleInstructionsDisallowed', 'FROM alpine\nHEALTHCHECK CMD ["a"]\nHEALTHCHECK NONE\n', 'Multiple HEALTHCHECK instructions should not be used in the same stage because only the last one will be used'],
  ['LegacyKeyValueFormat', 'FROM alpine\nENV DEPS curl git make\n', '"ENV key=value" should be used instead of legacy "ENV key value" format'],
  ['LegacyKeyValueFormat', 'FROM alpine\nLABEL maintainer me\n', '"LABEL key=value" should be used instead of legacy "LABEL key value" format'],
  ['InvalidDefaultArgInFrom', 'ARG TAG\nFROM busybox:${TAG}\n', 'Default value for ARG busybox:${TAG} results in empty or invalid base image name'],
  ['InvalidDefaultArgInFrom', 'ARG IMAGE\nFROM ${IMAGE}\n', 'Default value for ARG ${IMAGE} results in empty or invalid base image name'],
  ['SecretsUsedInArgOrEnv', 'FROM scratch\nARG AWS_SECRET_ACCESS_KEY\n', 'Do not use ARG or ENV instructions for sensitive data (ARG "AWS_SECRET_ACCESS_KEY")'],
  ['SecretsUsedInArgOrEnv', 'FROM scratch\nENV GITHUB_TOKEN=abc\n', 'Do not use ARG or ENV instructions for sensitive data (ENV "GITHUB_TOKEN")'],
  ['SecretsUsedInArgOrEnv', 'ARG DB_PASSWORD\nFROM scratch\n', 'Do not use ARG or ENV instructions for sensitive data (ARG "DB_PASSWORD")'],
  ['FromPlatformFlagConstDisallowed', 'FROM --platform=linux/amd64 alpine AS base\n', 'FROM --platform flag should not use constant value "linux/amd64"'],
  ['RedundantTargetPlatform', 'FROM --platform=$TARGETPLATFORM alpine\n', 'Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior'],
  ['ExposeProtoCasing', 'FROM alpine\nEXPOSE 80/TcP\n', "Defined protocol '80/TcP' in EXPOSE instruction should be lowercase"],
];

describe('each rule fires with its message', () => {
  for (const [rule, src, message] of FIRES) {
    test(`${rule}: ${JSON.stringify(src.split('\n').slice(-2)[0])}`, () => {
      const ws = lint(parseDockerfile(src)).filter((w) => w.rule === rule);
      assert.equal(ws.length, 1, `got ${JSON.stringify(lint(parseDockerfile(src)))}`);
      assert.equal(ws[0].message, message);
      assert.match(ws[0].url, /^https:\/\/docs\.docker\.com\/go\/dockerfile\/rule\/[a-z-]+\/$/);
    });
  }
});

const QUIET: Array<[string, string]> = [
  ['lower-case stage name', 'FROM alpine AS builder-base\n'],
  ['matching AS casing', 'FROM debian:latest AS builder\n'],
  ['matching as casing, lower', 'from debian:latest as builder\n'],
  ['continuation without empty lines', 'FROM alpine\nEXPOSE \\\n80\n'],
  ['consistent upper case', 'FROM alpine\nRUN echo hello\nCOPY . /app\n'],
  ['unique stage names', 'FROM debian:latest AS deb-builder\nFROM golang:latest AS go-builder\n'],
  ['exec form CMD and ENTRYPOINT', 'FROM alpine\nENTRYPOINT ["my-program", "start"]\nCMD ["--verbose"]\n'],
  ['LABEL instead of MAINTAINER', 'FROM alpine\nLABEL org.opencontainers.image.authors="moby@example.com"\n'],
  ['declared ARG in FROM', 'ARG VARIANT=-alpine\nFROM node:22${VARIANT} AS jsbuilder\n'],
  ['platform args need no declaration in FROM', 'FROM --platform=$BUILDPLATFORM golang AS build\n'],
  ['absolute WORKDIR then relative', 'FROM alpine\nWORKDIR /app\nWORKDIR src\n'],
  ['only the first relative WORKDIR is reported', 'FROM alpine\nWORKDIR /app\nFROM alpine\nWORKDIR /x\nWORKDIR y\n'],
  ['shell form after SHELL is deliberate', 'FROM alpine\nSHELL ["/bin/bash", "-c"]\nCMD echo $HOME\n'],
  ['variables defined before use', 'FROM scratch\nARG foo=bar\nCOPY $foo .\n'],
  ['PATH from the base image', 'FROM alpine\nENV PATH=$PATH:/app/bin\n'],
  ['one ENTRYPOINT per stage', 'FROM alpine AS a\nENTRYPOINT ["a"]\nFROM alpine\nENTRYPOINT ["b"]\n'],
  ['key=value format', 'FROM alpine\nARG DEPS="curl git make"\nENV DEPS="$DEPS"\n'],
  ['valid default ARG in FROM', 'ARG TAG=latest\nFROM busybox:${TAG}\n'],
  ['ARG may be empty when the image stays valid', 'ARG VARIANT\nFROM busybox:stable${VARIANT}\n'],
  ['ARG with a default in the expression', 'ARG TAG\nFROM alpine:${TAG:-3.14}\n'],
  ['relative WORKDIR in a stage built on one with an absolute WORKDIR', 'FROM alpine AS base\nWORKDIR /app\nFROM base\nWORKDIR src\n'],
  ['ARG that is not a secret', 'FROM scratch\nARG PUBLIC_KEY\nARG KEYBOARD_LAYOUT\nARG AUTHOR\n'],
  ['platform from an ARG', 'FROM --platform=${BUILDPLATFORM} alpine\n'],
  ['constant platform in a stage named after it', 'FROM --platform=linux/amd64 alpine AS build_amd64\nFROM --platform=linux/arm64 alpine AS build_arm64\nFROM build_${TARGETARCH} AS build\n'],
  ['lower-case protocol', 'FROM alpine\nEXPOSE 80/tcp 53/udp\n'],
  ['FROM another stage via ARG default', 'ARG BASE=builder\nFROM alpine AS builder\nFROM ${BASE}\n'],
];

describe('fixed versions are quiet', () => {
  for (const [name, src] of QUIET) test(name, () => assert.deepEqual(lint(parseDockerfile(src)), []));
});

describe('check configuration', () => {
  const bad = 'FROM alpine as Build\nCMD run\n';
  test('skip one rule by directive', () => {
    assert.deepEqual(rules('# check=skip=JSONArgsRecommended\n' + bad).sort(), ['FromAsCasing', 'StageNameCasing']);
  });
  test('skip several rules', () => assert.deepEqual(rules('# check=skip=JSONArgsRecommended,FromAsCasing\n' + bad), ['StageNameCasing']));
  test('skip=all', () => assert.deepEqual(rules('# check=skip=all\n' + bad), []));
  test('the BUILDKIT_DOCKERFILE_CHECK build arg replaces the directive', () => {
    const df = parseDockerfile('# check=skip=all\n' + bad);
    assert.deepEqual(lint(df, { buildArgs: { BUILDKIT_DOCKERFILE_CHECK: 'skip=FromAsCasing,StageNameCasing' } }).map((w) => w.rule), ['JSONArgsRecommended']);
    assert.equal(checkConfig(df, { buildArgs: new Map([['BUILDKIT_DOCKERFILE_CHECK', 'error=true']]) }).error, true);
  });
  test('skip from options', () => assert.deepEqual(lint(parseDockerfile(bad), { skip: ['StageNameCasing', 'FromAsCasing'] }).map((w) => w.rule), ['JSONArgsRecommended']));
  test('warnings carry file and lines', () => {
    const [w] = lint(parseDockerfile('FROM alpine\nRUN a \\\n  b\nCMD c \\\n  d\n', { filename: 'ci/Dockerfile' }));
    assert.deepEqual(w.location, { file: 'ci/Dockerfile', startLine: 4, endLine: 5 });
  });
  test('every rule has a documentation URL', () => {
    assert.ok(LINT_RULES.length >= 16);
    assert.ok(LINT_RULES.some((r) => r.url === 'https://docs.docker.com/go/dockerfile/rule/json-args-recommended/'));
    assert.ok(LINT_RULES.some((r) => r.url === 'https://docs.docker.com/go/dockerfile/rule/from-platform-flag-const-disallowed/'));
  });
  test('formatted like docker build --check', () => {
    const df = parseDockerfile('FROM alpine\nMAINTAINER me\n');
    const out = formatWarnings(df, lint(df));
    assert.match(out, /^WARNING: MaintainerDeprecated - https:\/\/docs\.docker\.com\/go\/dockerfile\/rule\/maintainer-deprecated\/\nMaintainer instruction is deprecated in favor of using label\nDockerfile:2\n-+\n {3}1 \| {5}FROM alpine\n {3}2 \| >>> MAINTAINER me\n-+\n$/);
  });
  test('short form as printed after docker build', () => {
    const df = parseDockerfile('FROM alpine\nCMD echo "Hello, world!"\n');
    assert.equal(formatWarningsShort(lint(df)), '1 warning found (use docker --debug to expand):\n - JSONArgsRecommended: JSON arguments recommended for CMD to prevent unintended behavior related to OS signals (line 2)\n');
  });
  test('messages for a clean Dockerfile', () => assert.deepEqual(messages('FROM alpine\nCMD ["true"]\n'), []));
});

describe('tug dockerfile check', () => {
  test('prints warnings and exits 0 without error=true', async () => {
    const r = await tug(['dockerfile', 'check', '-'], { input: 'FROM alpine as Build\nCMD run\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Check complete, 3 warnings have been found!/);
    assert.match(r.stdout, /WARNING: StageNameCasing/);
  });
  test('exits 1 with # check=error=true', async () => {
    const r = await tug(['dockerfile', 'check', '-'], { input: '# check=error=true\nFROM alpine\nCMD run\n' });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /JSONArgsRecommended/);
    assert.match(r.stderr, /lint violation found for rules: JSONArgsRecommended/);
  });
  test('exits 0 with error=true when everything passes', async () => {
    const r = await tug(['dockerfile', 'check', '-'], { input: '# check=error=true\nFROM alpine\nCMD ["run"]\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Check complete, no warnings found\./);
  });
  test('a syntax error is one clear message, exit 1, no stack', async () => {
    const r = await tug(['dockerfile', 'check', '-'], { input: 'FROM alpine\nRUNN echo\n' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Error: Dockerfile:2:1: unknown instruction: RUNN \(did you mean RUN\?\)\n 2 \| RUNN echo\n {3}\| \^\nHint: did you mean RUN\?\n$/);
  });
  test('unused build args are reported', async () => {
    const r = await tug(['dockerfile', 'check', '--build-arg', 'NOPE=1', '-'], { input: 'FROM alpine\nCMD ["x"]\n' });
    assert.equal(r.code, 0);
    assert.match(r.stderr, /One or more build-args \[NOPE\] were not consumed/);
  });
});
