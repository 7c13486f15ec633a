// The Go-template subset behind every --format, checked against what Go's
// text/template and docker's functions print for the same data; and --change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileTemplate, formatRows, tabwrite } from '../../src/cli/format.js';
import { applyChanges } from '../../src/image/changes.js';
import { humanSize, humanDuration } from '../../src/image/human.js';
import { configBytes, goTimeString } from '../../src/image/configjson.js';
import { TugError } from '../../src/util/errors.js';

const data = { Id: 'sha256:abc', Config: { Cmd: ['sh', '-c'], Env: null, Labels: { b: '2', a: '1' } }, Size: 42, Names: ['x', 'y'], Empty: [] };
const render = (t: string, d: unknown = data): string => compileTemplate(t).render(d);

test('fields, json, index, join, printf, if/else/range, variables, missing keys', () => {
  assert.equal(render('{{.Id}}'), 'sha256:abc');
  assert.equal(render('{{json .Config.Cmd}}'), '["sh","-c"]');
  assert.equal(render('{{.Config.Cmd}}'), '[sh -c]');
  assert.equal(render('{{.Config.Labels}}'), 'map[a:1 b:2]');
  assert.equal(render('{{.Config.Env}}'), '<nil>');
  assert.equal(render('{{.Nope}}'), '<no value>');
  assert.equal(render('{{index .Config.Labels "b"}}'), '2');
  assert.equal(render('{{join .Names ","}}'), 'x,y');
  assert.equal(render('{{printf "%5d|%-3s|" .Size "a"}}'), '   42|a  |');
  assert.equal(render('{{if .Empty}}yes{{else if .Size}}size{{else}}no{{end}}'), 'size');
  assert.equal(render('{{range $i, $n := .Names}}{{$i}}={{$n}};{{end}}'), '0=x;1=y;');
  assert.equal(render('{{range .Empty}}x{{else}}none{{end}}'), 'none');
  assert.equal(render('{{with .Config}}{{len .Cmd}}{{end}}'), '2');
  assert.equal(render('{{.Id | upper}}'), 'SHA256:ABC');
  assert.equal(render('{{json .}}', { a: '<b>' }), '{"a":"\\u003cb\\u003e"}');
  assert.equal(render('a\\tb'), 'a\tb');
  assert.throws(() => compileTemplate('{{.Id'), TugError);
  assert.throws(() => compileTemplate('{{if .Id}}x'), TugError);
  assert.throws(() => render('{{nofunc .Id}}'), TugError);
});

test('table layout is Go tabwriter with docker settings (minwidth 10, padding 3)', () => {
  assert.equal(tabwrite(['A\tBB\tC', 'longer-value\tx\ty']), 'A              BB        C\nlonger-value   x         y');
  const out = formatRows('table {{.Repository}}\t{{.Tag}}', [{ Repository: 'busybox', Tag: 'latest' }], { headers: { Repository: 'REPOSITORY', Tag: 'TAG' } });
  assert.equal(out, 'REPOSITORY   TAG\nbusybox      latest\n');
});

test('sizes and durations as docker prints them (go-units)', () => {
  assert.deepEqual([0, 999, 1000, 2140160, 1073741824, 4261550].map(humanSize), ['0B', '999B', '1kB', '2.14MB', '1.07GB', '4.26MB']);
  assert.deepEqual([500, 1000, 45_000, 60_000, 3_600_000, 2 * 86_400_000, 21 * 86_400_000].map(humanDuration),
    ['Less than a second', '1 second', '45 seconds', 'About a minute', 'About an hour', '2 days', '3 weeks']);
});

test('--change: docker import semantics for each instruction, clear errors otherwise', () => {
  const c = applyChanges({ Env: ['PATH=/bin'] }, ['ENV HOME /root', 'ENV P2=$PATH:/x', 'CMD ["a", "b"]', 'ENTRYPOINT exec run', 'EXPOSE 8000-8001/udp', 'VOLUME ["/v1", "/v2"]']);
  assert.deepEqual(c.Env, ['PATH=/bin', 'HOME=/root', 'P2=/bin:/x']);
  assert.deepEqual(c.Cmd, ['a', 'b']);
  assert.deepEqual(c.Entrypoint, ['/bin/sh', '-c', 'exec run']);
  assert.deepEqual(c.ExposedPorts, { '8000/udp': {}, '8001/udp': {} });
  assert.deepEqual(c.Volumes, { '/v1': {}, '/v2': {} });
  for (const bad of ['RUN echo', 'FROM x', 'EXPOSE 99999', 'USER', 'ONBUILD ONBUILD RUN x', 'ENV "unterminated', 'LABEL novalue']) {
    assert.throws(() => applyChanges({}, [bad]), (e: unknown) => e instanceof TugError && /invalid --change/.test(e.message), bad);
  }
});

test('configs are serialised as Go marshals the OCI struct', () => {
  assert.equal(goTimeString('2024-01-01T00:00:00.000Z'), '2024-01-01T00:00:00Z');
  assert.equal(goTimeString('2024-01-01T00:00:00.120Z'), '2024-01-01T00:00:00.12Z');
  const b = configBytes({ os: 'linux', architecture: 'amd64', created: '2024-01-01T00:00:00.500Z', config: { Labels: { z: '1', a: '<' }, Cmd: ['sh'], Env: ['A=1'] }, rootfs: { type: 'layers', diff_ids: [] }, history: [{ created_by: 'x', empty_layer: true }] });
  assert.equal(b.toString(), '{"created":"2024-01-01T00:00:00.5Z","architecture":"amd64","os":"linux","config":{"Env":["A=1"],"Cmd":["sh"],"Labels":{"a":"\\u003c","z":"1"}},"rootfs":{"type":"layers","diff_ids":[]},"history":[{"created_by":"x","empty_layer":true}]}');
});
