// Typed instructions, table-driven from the Dockerfile reference: every
// instruction, its flags, exec vs shell form, heredocs, directives,
// continuations, and the errors the reference and BuildKit give.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDockerfile, DockerfileError } from '../../src/dockerfile/index.js';
import { assertSubset, one } from './util.js';

type Row = [string, string, Record<string, unknown>];

const OK: Row[] = [
  // FROM
  ['FROM image', 'FROM alpine', { kind: 'FROM', image: 'alpine', stageName: undefined }],
  ['FROM with tag and AS', 'FROM alpine:3.20 AS build', { image: 'alpine:3.20', stageName: 'build', asKeyword: 'AS' }],
  ['FROM stage name lower-cased', 'FROM alpine as Build', { stageName: 'build', stageNameRaw: 'Build', asKeyword: 'as' }],
  ['FROM --platform kept unexpanded', 'FROM --platform=$BUILDPLATFORM golang:1.22 AS b', { platform: '$BUILDPLATFORM', image: 'golang:1.22' }],
  ['from lower-case keyword', 'from alpine', { kind: 'FROM', keyword: 'from' }],
  ['FROM with default expression', 'FROM ${IMG:-alpine}', { image: '${IMG:-alpine}' }],
  ['FROM scratch', 'FROM scratch', { image: 'scratch' }],
  ['FROM digest', 'FROM alpine@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', { image: 'alpine@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef' }],
  ['FROM stage names may use - _ .', 'FROM alpine AS my-stage_1.0', { stageName: 'my-stage_1.0' }],
  ['FROM registry with port', 'FROM localhost:5000/team/app:v1', { image: 'localhost:5000/team/app:v1' }],
  // RUN
  ['RUN shell form', 'RUN echo hello', { kind: 'RUN', command: ['echo hello'], json: false }],
  ['RUN exec form', 'RUN ["echo", "hi"]', { command: ['echo', 'hi'], json: true }],
  ['RUN exec form with spaces', 'RUN [ "a" , "b" ]', { command: ['a', 'b'], json: true }],
  ['RUN invalid JSON falls back to shell form', 'RUN [echo hi]', { command: ['[echo hi]'], json: false }],
  ['RUN single quotes are not JSON', "RUN ['echo', 'hi']", { command: ["['echo', 'hi']"], json: false }],
  ['RUN keeps shell syntax', 'RUN a && b || c; d | e > f', { command: ['a && b || c; d | e > f'] }],
  ['RUN variables left for the shell', 'RUN echo $HOME ${PATH}', { command: ['echo $HOME ${PATH}'] }],
  ['RUN --network=none', 'RUN --network=none pip install x', { network: 'none', command: ['pip install x'] }],
  ['RUN --network=host', 'RUN --network=host curl x', { network: 'host' }],
  ['RUN --network=default', 'RUN --network=default curl x', { network: 'default' }],
  ['RUN --security=insecure', 'RUN --security=insecure mount -t tmpfs x /y', { security: 'insecure' }],
  ['RUN --security=sandbox', 'RUN --security=sandbox true', { security: 'sandbox' }],
  ['RUN cache mount', 'RUN --mount=type=cache,target=/root/.cache/go-build go build ./...', {
    mounts: [{ type: 'cache', target: '/root/.cache/go-build', id: '/root/.cache/go-build', sharing: 'shared', readOnly: false }],
    mountSpecs: ['type=cache,target=/root/.cache/go-build'], command: ['go build ./...'],
  }],
  ['RUN two mounts', 'RUN --mount=type=cache,target=/var/cache/apt,sharing=locked --mount=type=cache,target=/var/lib/apt,sharing=locked apt-get update', {
    mounts: [{ type: 'cache', sharing: 'locked', target: '/var/cache/apt' }, { type: 'cache', sharing: 'locked', target: '/var/lib/apt' }],
  }],
  ['RUN secret mount', 'RUN --mount=type=secret,id=aws,target=/root/.aws/credentials aws s3 cp s3://b/f .', {
    mounts: [{ type: 'secret', id: 'aws', target: '/root/.aws/credentials', mode: 0o400, readOnly: true }],
  }],
  ['RUN ssh mount', 'RUN --mount=type=ssh git clone git@github.com:me/repo.git', { mounts: [{ type: 'ssh', id: 'default', mode: 0o600 }] }],
  ['RUN bind mount from stage', 'RUN --mount=from=build,source=/out,target=/in ls /in', { mounts: [{ type: 'bind', from: 'build', source: '/out', target: '/in', readOnly: true }] }],
  ['RUN flags then --', 'RUN --network=none -- echo hi', { network: 'none', command: ['echo hi'] }],
  ['RUN heredoc', 'RUN <<EOF\necho a\necho b\nEOF', { command: ['<<EOF'], heredocs: [{ name: 'EOF', data: 'echo a\necho b\n', expand: true, chomp: false }] }],
  ['RUN heredoc <<- strips tabs', 'RUN <<-EOT\n\techo a\n\t\techo b\n\tEOT', { heredocs: [{ name: 'EOT', data: 'echo a\necho b\n', chomp: true }] }],
  ["RUN heredoc quoted 'EOF' disables expansion", "RUN <<'EOF'\necho $HOME\nEOF", { heredocs: [{ name: 'EOF', data: 'echo $HOME\n', expand: false }] }],
  ['RUN heredoc quoted "EOF" disables expansion', 'RUN <<"EOF"\necho $HOME\nEOF', { heredocs: [{ name: 'EOF', expand: false }] }],
  ['RUN heredoc with a program', 'RUN python3 <<EOF\nprint("hi")\nEOF', { command: ['python3 <<EOF'], heredocs: [{ data: 'print("hi")\n' }] }],
  ['RUN two heredocs', 'RUN cat <<A <<B\nfirst\nA\nsecond\nB', { heredocs: [{ name: 'A', data: 'first\n' }, { name: 'B', data: 'second\n' }] }],
  ['RUN heredoc with fd', 'RUN 3<<EOF cat /proc/self/fd/3\nx\nEOF', { heredocs: [{ name: 'EOF', fileDescriptor: 3, data: 'x\n' }] }],
  ['RUN heredoc keeps blank lines and comments', 'RUN <<EOF\n# not a comment\n\nls\nEOF', { heredocs: [{ data: '# not a comment\n\nls\n' }] }],
  ['RUN exec form has no heredocs', 'RUN ["cat", "<<EOF"]', { json: true, heredocs: [] }],
  ['RUN continuation', 'RUN apt-get update \\\n && apt-get install -y curl', { command: ['apt-get update  && apt-get install -y curl'] }],
  ['RUN continuation with comment lines inside', 'RUN apt-get update \\\n# install curl\n && apt-get install -y curl', { command: ['apt-get update  && apt-get install -y curl'] }],
  ['RUN continuation with an empty line inside', 'RUN a \\\n\n b', { command: ['a  b'] }],
  ['RUN continuation with trailing blanks after the backslash', 'RUN a \\  \n b', { command: ['a  b'] }],
  ['run lower-case', 'run echo', { kind: 'RUN', keyword: 'run' }],
  ['RuN mixed case', 'RuN echo', { kind: 'RUN', keyword: 'RuN' }],
  // CMD / ENTRYPOINT / SHELL
  ['CMD exec form', 'CMD ["nginx", "-g", "daemon off;"]', { kind: 'CMD', command: ['nginx', '-g', 'daemon off;'], json: true }],
  ['CMD shell form', 'CMD echo $HOME', { command: ['echo $HOME'], json: false }],
  ['CMD empty JSON', 'CMD []', { command: [], json: true }],
  ['CMD JSON escapes', 'CMD ["a\\tb", "\\u00e9"]', { command: ['a\tb', 'é'] }],
  ['ENTRYPOINT exec form', 'ENTRYPOINT ["/docker-entrypoint.sh"]', { kind: 'ENTRYPOINT', command: ['/docker-entrypoint.sh'], json: true }],
  ['ENTRYPOINT shell form', 'ENTRYPOINT exec top -b', { command: ['exec top -b'], json: false }],
  ['ENTRYPOINT without arguments', 'ENTRYPOINT', { command: [] }],
  ['SHELL', 'SHELL ["powershell", "-command"]', { kind: 'SHELL', shell: ['powershell', '-command'] }],
  ['SHELL bash', 'SHELL ["/bin/bash", "-o", "pipefail", "-c"]', { shell: ['/bin/bash', '-o', 'pipefail', '-c'] }],
  // ENV / LABEL
  ['ENV key=value', 'ENV A=1', { kind: 'ENV', pairs: [{ key: 'A', value: '1' }], legacy: false }],
  ['ENV several pairs', 'ENV A=1 B=2 C=3', { pairs: [{ key: 'A', value: '1' }, { key: 'B', value: '2' }, { key: 'C', value: '3' }] }],
  ['ENV legacy form takes the rest of the line', 'ENV A 1 2', { pairs: [{ key: 'A', value: '1 2' }], legacy: true }],
  ['ENV quotes kept until expansion', 'ENV B="two words"', { pairs: [{ key: 'B', value: '"two words"' }] }],
  ['ENV escaped space kept until expansion', 'ENV D=Rex\\ The\\ Dog', { pairs: [{ key: 'D', value: 'Rex\\ The\\ Dog' }] }],
  ['ENV empty value', 'ENV A=', { pairs: [{ key: 'A', value: '' }] }],
  ['LABEL', 'LABEL a=b c="d e"', { kind: 'LABEL', pairs: [{ key: 'a', value: 'b' }, { key: 'c', value: '"d e"' }] }],
  ['LABEL quoted key', 'LABEL "com.example.vendor"="ACME Incorporated"', { pairs: [{ key: '"com.example.vendor"', value: '"ACME Incorporated"' }] }],
  ['LABEL legacy', 'LABEL version 1.0', { pairs: [{ key: 'version', value: '1.0' }], legacy: true }],
  // ARG
  ['ARG name', 'ARG A', { kind: 'ARG', args: [{ key: 'A', value: undefined }] }],
  ['ARG several per line', 'ARG A=1 B C=3', { args: [{ key: 'A', value: '1' }, { key: 'B' }, { key: 'C', value: '3' }] }],
  ['ARG empty default', 'ARG A=', { args: [{ key: 'A', value: '' }] }],
  ['ARG quoted default', 'ARG abc="123 456" def', { args: [{ key: 'abc', value: '"123 456"' }, { key: 'def' }] }],
  // EXPOSE
  ['EXPOSE ports, protocols, ranges', 'EXPOSE 80 443/tcp 53/udp 8000-8010', { kind: 'EXPOSE', ports: ['80', '443/tcp', '53/udp', '8000-8010'] }],
  ['EXPOSE variable', 'EXPOSE $PORT', { ports: ['$PORT'] }],
  // ADD
  ['ADD --chown --chmod', 'ADD --chown=1000:1000 --chmod=755 src /dst', { kind: 'ADD', chown: '1000:1000', chmod: '755', sources: ['src'], dest: '/dst' }],
  ['ADD --checksum', 'ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.com/f.tar.gz /f', { checksum: 'sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d' }],
  ['ADD --keep-git-dir', 'ADD --keep-git-dir=true https://github.com/moby/buildkit.git#v0.10.1 /buildkit', { keepGitDir: true }],
  ['ADD --link', 'ADD --link a.tar /x', { link: true }],
  ['ADD --exclude repeated', 'ADD --exclude=*.md --exclude=docs . /app', { exclude: ['*.md', 'docs'] }],
  ['ADD --unpack=false', 'ADD --unpack=false a.tar.gz /x', { unpack: false }],
  ['ADD several sources', 'ADD a b c /d/', { sources: ['a', 'b', 'c'], dest: '/d/' }],
  ['ADD JSON form', 'ADD ["a b", "/c d"]', { sources: ['a b'], dest: '/c d', json: true }],
  ['ADD heredoc', 'ADD <<EOF /etc/motd\nwelcome\nEOF', { kind: 'ADD', sources: [], inline: [{ name: 'EOF', data: 'welcome\n' }], dest: '/etc/motd' }],
  ['ADD <<- heredoc strips tabs', 'ADD <<-EOT /x\n\tline\n\tEOT', { inline: [{ data: 'line\n', chomp: true }] }],
  ['ADD defaults', 'ADD a b', { link: false, keepGitDir: false, checksum: undefined, chown: undefined, exclude: [] }],
  // COPY
  ['COPY --from=stage', 'COPY --from=build /out /app', { kind: 'COPY', from: 'build', sources: ['/out'], dest: '/app' }],
  ['COPY --from=index', 'COPY --from=0 /a /b', { from: '0' }],
  ['COPY --from=image', 'COPY --from=nginx:latest /etc/nginx/nginx.conf /nginx.conf', { from: 'nginx:latest' }],
  ['COPY --parents', 'COPY --parents ./x/a.txt ./y/a.txt /parents/', { parents: true, sources: ['./x/a.txt', './y/a.txt'] }],
  ['COPY --exclude', 'COPY --exclude=node_modules --exclude=*.log . .', { exclude: ['node_modules', '*.log'] }],
  ['COPY JSON with spaces', 'COPY ["test file", "/tmp/"]', { sources: ['test file'], dest: '/tmp/', json: true }],
  ['COPY --link=false', 'COPY --link=false a b', { link: false }],
  ['COPY --link=TRUE', 'COPY --link=TRUE a b', { link: true }],
  ['COPY --chown user:group', 'COPY --chown=app:app a b', { chown: 'app:app' }],
  ['COPY --chmod octal', 'COPY --chmod=0644 a b', { chmod: '0644' }],
  ['COPY heredoc as a file', 'COPY <<EOF /etc/x.conf\nhello\nEOF', { sources: [], inline: [{ name: 'EOF', data: 'hello\n', expand: true }], dest: '/etc/x.conf' }],
  ['COPY two heredocs', 'COPY <<A <<B /dst/\na\nA\nb\nB', { inline: [{ name: 'A', data: 'a\n' }, { name: 'B', data: 'b\n' }] }],
  ['COPY heredoc and a path', 'COPY <<EOF x /dst/\nbody\nEOF', { sources: ['x'], inline: [{ name: 'EOF' }] }],
  ['COPY quoted heredoc not expanded', "COPY <<'EOF' /x\n$A\nEOF", { inline: [{ data: '$A\n', expand: false }] }],
  ['COPY defaults', 'COPY a b', { from: undefined, link: false, parents: false, exclude: [], chmod: undefined }],
  // VOLUME / USER / WORKDIR / STOPSIGNAL / MAINTAINER
  ['VOLUME plain', 'VOLUME /data', { kind: 'VOLUME', paths: ['/data'], json: false }],
  ['VOLUME several', 'VOLUME /a /b', { paths: ['/a', '/b'] }],
  ['VOLUME JSON', 'VOLUME ["/var/log", "/var/db"]', { paths: ['/var/log', '/var/db'], json: true }],
  ['USER name', 'USER app', { kind: 'USER', user: 'app' }],
  ['USER uid:gid', 'USER 1000:1000', { user: '1000:1000' }],
  ['WORKDIR', 'WORKDIR /app', { kind: 'WORKDIR', path: '/app' }],
  ['WORKDIR takes the rest of the line (spaces allowed)', 'WORKDIR /my app', { path: '/my app' }],
  ['USER takes the rest of the line', 'USER a b', { user: 'a b' }],
  ['WORKDIR relative', 'WORKDIR src', { path: 'src' }],
  ['WORKDIR with variable', 'WORKDIR $DIRPATH/$DIRNAME', { path: '$DIRPATH/$DIRNAME' }],
  ['STOPSIGNAL', 'STOPSIGNAL SIGTERM', { kind: 'STOPSIGNAL', signal: 'SIGTERM' }],
  ['STOPSIGNAL number', 'STOPSIGNAL 9', { signal: '9' }],
  ['MAINTAINER', 'MAINTAINER Jane Doe <jane@example.com>', { kind: 'MAINTAINER', maintainer: 'Jane Doe <jane@example.com>' }],
  // ONBUILD
  ['ONBUILD RUN', 'ONBUILD RUN echo hi', { kind: 'ONBUILD', expression: 'RUN echo hi', trigger: { kind: 'RUN', command: ['echo hi'] } }],
  ['ONBUILD ADD', 'ONBUILD ADD . /app/src', { expression: 'ADD . /app/src', trigger: { kind: 'ADD', sources: ['.'], dest: '/app/src' } }],
  ['ONBUILD COPY --from', 'ONBUILD COPY --from=build a b', { trigger: { kind: 'COPY', from: 'build' } }],
  ['onbuild lower case', 'onbuild run make', { kind: 'ONBUILD', expression: 'run make' }],
  // HEALTHCHECK
  ['HEALTHCHECK NONE', 'HEALTHCHECK NONE', { kind: 'HEALTHCHECK', test: ['NONE'] }],
  ['HEALTHCHECK shell CMD with options', 'HEALTHCHECK --interval=5m --timeout=3s CMD curl -f http://localhost/ || exit 1', {
    test: ['CMD-SHELL', 'curl -f http://localhost/ || exit 1'], interval: 300e9, timeout: 3e9, retries: 0,
  }],
  ['HEALTHCHECK exec CMD', 'HEALTHCHECK CMD ["curl", "-f", "http://localhost/"]', { test: ['CMD', 'curl', '-f', 'http://localhost/'] }],
  ['HEALTHCHECK all options', 'HEALTHCHECK --interval=30s --timeout=10s --start-period=1m --start-interval=2s --retries=3 CMD true', {
    interval: 30e9, timeout: 10e9, startPeriod: 60e9, startInterval: 2e9, retries: 3,
  }],
  ['HEALTHCHECK compound duration', 'HEALTHCHECK --interval=1m30s CMD true', { interval: 90e9 }],
  ['HEALTHCHECK zero durations mean default', 'HEALTHCHECK --interval=0s --timeout=0s CMD true', { interval: 0, timeout: 0 }],
  ['HEALTHCHECK lower-case cmd', 'HEALTHCHECK cmd true', { test: ['CMD-SHELL', 'true'] }],
];

describe('typed instructions', () => {
  for (const [name, src, expected] of OK) {
    test(name, () => assertSubset(one(src), expected));
  }
});

const ERRORS: Array<[string, string, RegExp]> = [
  ['FROM AS without name', 'FROM alpine AS', /FROM requires either one or three arguments/],
  ['FROM two words', 'FROM alpine extra', /FROM requires either one or three arguments/],
  ['FROM stage name starting with a digit', 'FROM alpine AS 1abc', /invalid name for build stage: "1abc"/],
  ['FROM stage name with symbols', 'FROM alpine AS a$b', /invalid name for build stage/],
  ['FROM unknown flag with suggestion', 'FROM --platfrom=linux/amd64 alpine', /unknown flag: platfrom \(did you mean platform\?\)/],
  ['RUN non-string JSON', 'RUN ["a", 1]', /arrays must be comprised of strings only/],
  ['RUN nested JSON array', 'RUN ["a", ["b"]]', /arrays must be comprised of strings only/],
  ['RUN unsupported network', 'RUN --network=bridge x', /unsupported network mode "bridge"/],
  ['RUN unsupported security', 'RUN --security=privileged x', /unsupported security mode/],
  ['RUN unknown flag with suggestion', 'RUN --mounts=type=cache,target=/x y', /unknown flag: mounts \(did you mean mount\?\)/],
  ['RUN flag without value', 'RUN --network none x', /missing a value on flag: network/],
  ['RUN duplicate string flag', 'RUN --network=none --network=host x', /duplicate flag specified: network/],
  ['RUN bad mount', 'RUN --mount=type=volume,target=/x y', /unsupported mount type "volume"/],
  ['RUN unterminated heredoc', 'RUN <<EOF\necho hi', /unterminated heredoc/],
  ['SHELL needs JSON', 'SHELL /bin/bash -c', /SHELL requires the arguments to be in JSON form/],
  ['ENV without value', 'ENV PATH', /ENV must have two arguments/],
  ['ENV pair without =', 'ENV A=1 B', /can't find = in "B"/],
  ['ENV blank name', 'ENV =x', /ENV names can not be blank/],
  ['ENV without arguments', 'ENV', /ENV requires at least one argument/],
  ['LABEL without arguments', 'LABEL', /LABEL requires at least one argument/],
  ['LABEL without value', 'LABEL a', /LABEL must have two arguments/],
  ['ARG without arguments', 'ARG', /ARG requires at least one argument/],
  ['EXPOSE without arguments', 'EXPOSE', /EXPOSE requires at least one argument/],
  ['ADD one argument', 'ADD a', /ADD requires at least two arguments/],
  ['ADD --from is COPY only', 'ADD --from=x a b', /unknown flag: from/],
  ['COPY one argument', 'COPY a', /COPY requires at least two arguments/],
  ['COPY bad boolean', 'COPY --link=maybe a b', /expecting boolean value for flag link, not: maybe/],
  ['COPY boolean with empty value', 'COPY --link= a b', /missing a value on flag: link/],
  ['COPY --checksum is ADD only', 'COPY --checksum=sha256:x a b', /unknown flag: checksum/],
  ['COPY heredoc destination', 'COPY a <<EOF\nx\nEOF', /COPY cannot accept a heredoc as a destination/],
  ['COPY --from without value', 'COPY --from a b', /missing a value on flag: from/],
  ['VOLUME without arguments', 'VOLUME', /VOLUME requires at least one argument/],
  ['USER no argument', 'USER', /USER requires exactly one argument/],
  ['STOPSIGNAL no argument', 'STOPSIGNAL', /STOPSIGNAL requires exactly one argument/],
  ['MAINTAINER no argument', 'MAINTAINER', /MAINTAINER requires exactly one argument/],
  ['ONBUILD ONBUILD', 'ONBUILD ONBUILD RUN x', /Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed/],
  ['ONBUILD FROM', 'ONBUILD FROM alpine', /FROM isn't allowed as an ONBUILD trigger/],
  ['ONBUILD MAINTAINER', 'ONBUILD MAINTAINER me', /MAINTAINER isn't allowed as an ONBUILD trigger/],
  ['ONBUILD empty', 'ONBUILD', /ONBUILD requires at least one argument/],
  ['ONBUILD unknown trigger', 'ONBUILD RUNN x', /unknown instruction: RUNN/],
  ['HEALTHCHECK NONE with arguments', 'HEALTHCHECK NONE x', /HEALTHCHECK NONE takes no arguments/],
  ['HEALTHCHECK unknown type', 'HEALTHCHECK CONNECT TCP 7000', /Unknown type "CONNECT" in HEALTHCHECK \(try CMD\)/],
  ['HEALTHCHECK CMD without command', 'HEALTHCHECK CMD', /Missing command after HEALTHCHECK CMD/],
  ['HEALTHCHECK no arguments', 'HEALTHCHECK', /HEALTHCHECK requires at least one argument/],
  ['HEALTHCHECK bad duration', 'HEALTHCHECK --interval=abc CMD x', /invalid duration "abc"/],
  ['HEALTHCHECK duration below 1ms', 'HEALTHCHECK --interval=10us CMD x', /Interval "interval" cannot be less than 1ms/],
  ['HEALTHCHECK negative retries', 'HEALTHCHECK --retries=-1 CMD x', /--retries cannot be negative \(-1\)/],
  ['HEALTHCHECK bad retries', 'HEALTHCHECK --retries=three CMD x', /invalid syntax/],
  ['HEALTHCHECK unknown flag', 'HEALTHCHECK --intervall=5s CMD x', /unknown flag: intervall \(did you mean interval\?\)/],
  ['unknown instruction RUNN', 'RUNN echo', /unknown instruction: RUNN \(did you mean RUN\?\)/],
  ['unknown instruction CPOY', 'CPOY a b', /unknown instruction: CPOY \(did you mean COPY\?\)/],
  ['unknown instruction EXPOS', 'EXPOS 80', /unknown instruction: EXPOS \(did you mean EXPOSE\?\)/],
  ['keyword glued to its JSON array', 'CMD["node", "server.js"]', /unknown instruction: CMD\["node",$/m],
  ['ARG blank name', 'ARG =x', /ARG names can not be blank/],
  ['unknown instruction far from any', 'FOOBARBAZ x', /unknown instruction: FOOBARBAZ$/m],
  ['flag on an instruction without flags', 'WORKDIR --x=1 /a', /unknown flag: x/],
];

describe('instruction errors', () => {
  for (const [name, src, re] of ERRORS) {
    test(name, () => {
      assert.throws(() => one(src), (e: unknown) => e instanceof DockerfileError && e.code === 'SYNTAX' && re.test(e.message), `expected ${re}`);
    });
  }
});

describe('file structure', () => {
  test('ARG before FROM is global', () => {
    const df = parseDockerfile('ARG V=1\nARG W\nFROM alpine:$V\n');
    assert.equal(df.globalArgs.length, 2);
    assert.equal(df.stages[0].image, 'alpine:$V');
    assert.equal(df.stages[0].instructions.length, 0);
  });
  test('an instruction before FROM is an error', () => {
    assert.throws(() => parseDockerfile('RUN x\nFROM alpine\n'), /no build stage in current context/);
  });
  test('a file without FROM is an error', () => {
    assert.throws(() => parseDockerfile('ARG A\n'), /no FROM instruction/);
  });
  test('stages are numbered and carry their instructions and lines', () => {
    const df = parseDockerfile('FROM a AS one\nRUN x\n\nFROM b\nRUN y \\\n  z\nCMD w\n');
    assert.equal(df.stages.length, 2);
    assertSubset(df.stages[0], { index: 0, name: 'one', image: 'a', location: { startLine: 1, endLine: 2 } });
    assertSubset(df.stages[1], { index: 1, name: undefined, image: 'b', location: { startLine: 4, endLine: 7 } });
    assertSubset(df.stages[1].instructions[0], { kind: 'RUN', location: { startLine: 5, endLine: 6 }, command: ['y   z'] });
  });
  test('heredoc bodies count in the line range', () => {
    const df = parseDockerfile('FROM a\nRUN <<EOF\n1\n2\nEOF\nCMD x\n');
    assertSubset(df.stages[0].instructions[0].location, { startLine: 2, endLine: 5 });
    assertSubset(df.stages[0].instructions[1].location, { startLine: 6, endLine: 6 });
  });
  test('comments above an instruction are kept', () => {
    const df = parseDockerfile('FROM a\n# build the thing\n# quickly\nRUN make\n');
    assert.deepEqual(df.stages[0].instructions[0].comments, ['build the thing', 'quickly']);
  });
  test('CRLF line endings', () => {
    const df = parseDockerfile('FROM alpine\r\nRUN echo hi \\\r\n  there\r\nCMD ["a"]\r\n');
    assertSubset(df.stages[0].instructions, [{ command: ['echo hi   there'] }, { command: ['a'] }]);
  });
  test('a UTF-8 byte order mark is ignored', () => {
    assert.equal(parseDockerfile('\uFEFFFROM alpine\n').stages[0].image, 'alpine');
  });
  test('leading whitespace before instructions is ignored', () => {
    assert.equal(parseDockerfile('   FROM alpine\n\t RUN x\n').stages[0].instructions[0].kind, 'RUN');
  });
  test('a continuation at end of file ends the instruction', () => {
    assertSubset(parseDockerfile('FROM a\nRUN something \\').stages[0].instructions[0], { command: ['something'] });
  });
  test('an escaped backslash at end of line is not a continuation', () => {
    const df = parseDockerfile('FROM a\nENV C trailing\\\\backslash\\\\\nENV D x\n');
    assert.equal(df.stages[0].instructions.length, 2);
  });
  test('empty continuation lines produce a parser warning', () => {
    const df = parseDockerfile('FROM a\nRUN a \\\n\n b\n');
    assert.equal(df.warnings.length, 1);
    assert.match(df.warnings[0].short, /Empty continuation line found in: RUN a  b/);
  });
  test('a comment line inside a continuation is not an empty line', () => {
    assert.equal(parseDockerfile('FROM a\nRUN a \\\n# c\n b\n').warnings.length, 0);
  });
  test('instructions after the heredoc are parsed normally', () => {
    const df = parseDockerfile('FROM a\nCOPY <<EOF /x\nRUN not an instruction\nEOF\nRUN real\n');
    assert.equal(df.stages[0].instructions.length, 2);
    assertSubset(df.stages[0].instructions[0], { inline: [{ data: 'RUN not an instruction\n' }] });
  });
  test('ONBUILD with a heredoc trigger', () => {
    const i = one('ONBUILD RUN <<EOF\necho hi\nEOF');
    assertSubset(i, { kind: 'ONBUILD', expression: 'RUN <<EOF\necho hi\nEOF', trigger: { heredocs: [{ name: 'EOF', data: 'echo hi\n' }] } });
  });
});

describe('parser directives', () => {
  test('syntax', () => assert.equal(parseDockerfile('# syntax=docker/dockerfile:1.7\nFROM a\n').directives.syntax, 'docker/dockerfile:1.7'));
  test('syntax with spaces around =', () => assert.equal(parseDockerfile('#  syntax = docker/dockerfile:1 \nFROM a\n').directives.syntax, 'docker/dockerfile:1'));
  test('directive names are case-insensitive', () => assert.equal(parseDockerfile('# SYNTAX=x\nFROM a\n').directives.syntax, 'x'));
  test('escape backtick changes the escape and continuation token', () => {
    const df = parseDockerfile('# escape=`\nFROM a\nRUN dir c:\\ `\n  /s\nCOPY . c:\\app\n');
    assert.equal(df.escapeToken, '`');
    assertSubset(df.stages[0].instructions, [{ command: ['dir c:\\   /s'] }, { dest: 'c:\\app' }]);
  });
  test('escape backslash explicitly', () => assert.equal(parseDockerfile('# escape=\\\nFROM a\n').escapeToken, '\\'));
  test('an invalid escape token is an error', () => assert.throws(() => parseDockerfile('# escape=x\nFROM a\n'), /invalid escape token 'x'/));
  test('a repeated directive is an error', () => {
    assert.throws(() => parseDockerfile('# escape=`\n# escape=\\\nFROM a\n'), /only one escape parser directive can be used/);
  });
  test('a directive after an instruction is a comment', () => {
    const df = parseDockerfile('FROM a\n# escape=`\nRUN a \\\n b\n');
    assert.equal(df.escapeToken, '\\');
    assert.equal(df.stages[0].instructions.length, 1);
  });
  test('a directive after a blank line is a comment', () => assert.equal(parseDockerfile('\n# escape=`\nFROM a\n').escapeToken, '\\'));
  test('a directive after an ordinary comment is a comment', () => assert.equal(parseDockerfile('# hello\n# escape=`\nFROM a\n').escapeToken, '\\'));
  test('an unknown directive ends directive processing', () => {
    assert.equal(parseDockerfile('# foo=bar\n# escape=`\nFROM a\n').escapeToken, '\\');
  });
  test('check directive', () => {
    assertSubset(parseDockerfile('# check=skip=JSONArgsRecommended,StageNameCasing;error=true\nFROM a\n').directives.check, {
      skip: ['JSONArgsRecommended', 'StageNameCasing'], error: true,
    });
  });
  test('check directive skip=all', () => assert.deepEqual(parseDockerfile('# check=skip=all\nFROM a\n').directives.check?.skip, ['all']));
  test('check directive with a bad key', () => assert.throws(() => parseDockerfile('# check=skipp=x\nFROM a\n'), /invalid check directive key "skipp"/));
  test('check directive with a bad boolean', () => assert.throws(() => parseDockerfile('# check=error=yes\nFROM a\n'), /not a boolean/));
  test('directives are not kept as comments', () => {
    const df = parseDockerfile('# syntax=x\nFROM a\n');
    assert.deepEqual(df.stages[0].from.comments, []);
  });
});
