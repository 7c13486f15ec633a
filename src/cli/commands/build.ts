// `tug build` / `tug buildx build`: parses docker's flags, prepares the
// context (a directory, or a tar / Dockerfile on stdin), runs the builder,
// and hands the image to the requested outputs.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, basename } from 'node:path';
import { Readable } from 'node:stream';
import type { Command } from '../command.js';
import { flag, type ParsedArgs } from '../args.js';
import type { CliContext } from '../context.js';
import { TugError } from '../../util/errors.js';
import { parseReference } from '../../oci/reference.js';
import { applyLayer } from '../../archive/apply.js';
import { Progress, renderer } from '../../build/progress.js';
import type { SecretSource, SshSource } from '../../build/steps/mounts.js';
import type { StepNetwork } from '../../build/steps/exec.js';
import { checkConfig, formatWarnings, parseDockerfile, summarize, lint } from '../../dockerfile/index.js';

const command: Command = {
  spec: {
    name: 'build',
    usage: 'tug build [OPTIONS] PATH | -',
    description: 'Build an image from a Dockerfile',
    minArgs: 1,
    maxArgs: 1,
    flags: [
      { name: 'tag', short: 't', type: 'list', description: 'Name and optionally a tag (name:tag)' },
      { name: 'file', short: 'f', type: 'string', description: 'Name of the Dockerfile (default: PATH/Dockerfile; - for stdin)' },
      { name: 'target', type: 'string', description: 'Set the target build stage to build' },
      { name: 'build-arg', type: 'list', description: 'Set build-time variables' },
      { name: 'build-context', type: 'list', description: 'Additional build contexts (name=dir or name=docker-image://ref)' },
      { name: 'secret', type: 'list', description: 'Secret to expose to the build (id=mysecret[,src=/local/secret|,env=VAR])' },
      { name: 'ssh', type: 'list', description: 'SSH agent socket or keys to expose (default|<id>[=<socket>|<key>[,<key>]])' },
      { name: 'no-cache', type: 'bool', description: 'Do not use cache when building the image' },
      { name: 'no-cache-filter', type: 'list', description: 'Do not cache specified stages' },
      { name: 'pull', type: 'bool', description: 'Always attempt to pull all referenced images' },
      { name: 'network', type: 'string', description: 'Networking mode for RUN instructions (default, none, host)' },
      { name: 'label', type: 'list', description: 'Set metadata for an image' },
      { name: 'iidfile', type: 'string', description: 'Write the image ID to the file' },
      { name: 'metadata-file', type: 'string', description: 'Write build result metadata to the file' },
      { name: 'progress', type: 'string', description: 'Type of progress output (auto, tty, plain, quiet)', default: 'auto' },
      { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress the build output and print image ID on success' },
      { name: 'platform', type: 'string', description: 'Set target platform for build (the native platform only)' },
      { name: 'output', short: 'o', type: 'list', description: 'Output destination (type=image|docker|oci|tar|local,dest=path)' },
      { name: 'push', type: 'bool', description: 'Shorthand for --output=type=registry' },
      { name: 'load', type: 'bool', description: 'Shorthand for --output=type=docker (the image store)' },
      { name: 'cache-from', type: 'list', description: 'External cache sources (REF, type=registry,ref=REF, type=local,src=DIR)' },
      { name: 'cache-to', type: 'list', description: 'Cache export destinations (type=inline, type=registry,ref=REF[,mode=min|max][,cache-mounts=true], type=local,dest=DIR[,…])' },
      { name: 'twice', type: 'bool', description: 'Build twice on two empty state roots (SOURCE_DATE_EPOCH, default 0) and check that the image digests are equal' },
      { name: 'check', type: 'bool', description: 'Run the build checks only, do not build' },
      { name: 'explain', type: 'bool', description: 'Say, for every cache miss, which input changed since the last build' },
    ],
  },
  run: runBuild,
};
export default command;

function parseCsv(spec: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of spec.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) m.set(part.trim(), '');
    else m.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return m;
}

export function parseBuildArgs(list: string[], env: NodeJS.ProcessEnv): Map<string, string> {
  const out = new Map<string, string>();
  for (const a of list) {
    const eq = a.indexOf('=');
    // `--build-arg NAME` takes the value from the environment, as docker does
    if (eq < 0) {
      if (env[a] !== undefined) out.set(a, env[a] as string);
    } else out.set(a.slice(0, eq), a.slice(eq + 1));
  }
  return out;
}

/** buildx's rules: env= or type=env reads a variable; src= or type=file a file; otherwise a file named id, else a variable named id. */
export function parseSecrets(list: string[], env: NodeJS.ProcessEnv = process.env): Map<string, SecretSource> {
  const out = new Map<string, SecretSource>();
  for (const s of list) {
    const kv = parseCsv(s);
    const id = kv.get('id');
    if (!id) throw new TugError('INVALID_ARGUMENT', `invalid --secret "${s}": id is required`, { hint: '--secret id=mysecret,src=/path/to/file (or env=VAR)' });
    const type = kv.get('type');
    const src = kv.get('src') ?? kv.get('source');
    const envName = kv.get('env');
    if (type === 'env' || envName !== undefined) {
      out.set(id, { env: envName ?? src ?? id });
      continue;
    }
    const file = src ?? id;
    if (type === 'file' || src !== undefined || existsSync(file)) {
      if (!existsSync(file)) throw new TugError('NOT_FOUND', `secret ${id}: file ${file} not found`, { hint: 'check the src= path of --secret' });
      out.set(id, { src: resolve(file) });
    } else if (env[id] !== undefined) out.set(id, { env: id });
    else throw new TugError('NOT_FOUND', `secret ${id}: no file or environment variable named ${id}`, { hint: `--secret id=${id},src=FILE or --secret id=${id},env=VAR` });
  }
  return out;
}

function parseSsh(list: string[], env: NodeJS.ProcessEnv): Map<string, SshSource> {
  const out = new Map<string, SshSource>();
  for (const s of list) {
    const eq = s.indexOf('=');
    const id = eq < 0 ? s : s.slice(0, eq);
    const paths = eq < 0 ? [] : s.slice(eq + 1).split(',').filter(Boolean).map((p) => resolve(p.replace(/^~(?=\/)/, env.HOME ?? '~')));
    if (paths.length === 0) {
      if (!env.SSH_AUTH_SOCK) throw new TugError('INVALID_ARGUMENT', `--ssh ${id}: SSH_AUTH_SOCK is not set`, { hint: 'start an ssh-agent, or pass key files: --ssh default=~/.ssh/id_ed25519' });
      paths.push(env.SSH_AUTH_SOCK);
    }
    for (const p of paths) if (!existsSync(p)) throw new TugError('NOT_FOUND', `--ssh ${id}: ${p} not found`, { hint: 'give an agent socket or private key files' });
    out.set(id, { paths });
  }
  return out;
}

async function readStdin(ctx: CliContext): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of ctx.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

interface Prepared {
  contextDir: string;
  dockerfileText: string;
  dockerfileName: string;
  cleanup(): void;
}

async function prepareInputs(ctx: CliContext, args: ParsedArgs): Promise<Prepared> {
  const pathArg = args.positionals[0];
  const fileFlag = flag.str(args, 'file');
  if (pathArg === '-' && fileFlag === '-') throw new TugError('INVALID_ARGUMENT', 'cannot read both the context and the Dockerfile from stdin', { hint: 'pass the context as a directory, or the Dockerfile with -f FILE' });
  let contextDir: string;
  let cleanup = (): void => {};
  let stdinDockerfile: string | undefined;
  if (pathArg === '-') {
    const data = await readStdin(ctx);
    const tmp = mkdtempSync(join(tmpdir(), 'tug-build-ctx-'));
    cleanup = () => rmSync(tmp, { recursive: true, force: true });
    const isTar = data.length >= 512 && (data.toString('latin1', 257, 262) === 'ustar' || data[0] === 0x1f);
    if (isTar) {
      try {
        await applyLayer(tmp, Readable.from([data]), { whiteouts: 'delete', chown: false });
      } catch (e) {
        cleanup();
        throw e;
      }
    } else stdinDockerfile = data.toString();
    contextDir = tmp;
  } else {
    contextDir = resolve(pathArg);
    if (!existsSync(contextDir)) throw new TugError('NOT_FOUND', `unable to prepare context: path "${pathArg}" not found`, { hint: 'pass an existing directory as the build context' });
  }
  let dockerfileText: string;
  let dockerfileName = 'Dockerfile';
  try {
    if (stdinDockerfile !== undefined) dockerfileText = stdinDockerfile;
    else if (fileFlag === '-') dockerfileText = (await readStdin(ctx)).toString();
    else {
      const path = fileFlag ? resolve(fileFlag) : join(contextDir, 'Dockerfile');
      dockerfileName = fileFlag ? basename(fileFlag) : 'Dockerfile';
      try {
        dockerfileText = readFileSync(path, 'utf8');
      } catch {
        throw new TugError('NOT_FOUND', `failed to read dockerfile: open ${path}: no such file or directory`, { hint: 'pass the Dockerfile with -f, or add one to the context' });
      }
    }
  } catch (e) {
    cleanup();
    throw e;
  }
  return { contextDir, dockerfileText, dockerfileName, cleanup };
}

interface Output {
  type: 'image' | 'docker' | 'oci' | 'tar' | 'local' | 'registry';
  dest?: string;
  push: boolean;
}

function parseOutputs(args: ParsedArgs): Output[] {
  const outs: Output[] = [];
  for (const o of flag.list(args, 'output')) {
    const kv = parseCsv(o.includes('=') ? o : `type=local,dest=${o}`);
    const type = kv.get('type') ?? 'local';
    if (!['image', 'docker', 'oci', 'tar', 'local', 'registry'].includes(type)) {
      throw new TugError('INVALID_ARGUMENT', `unsupported output type "${type}"`, { hint: 'use type=image, docker, oci, tar, local or registry' });
    }
    const dest = kv.get('dest');
    if ((type === 'local' || type === 'tar') && !dest) throw new TugError('INVALID_ARGUMENT', `--output type=${type} needs dest=PATH`, { hint: `--output type=${type},dest=./out` });
    outs.push({ type: type as Output['type'], dest, push: type === 'registry' || kv.get('push') === 'true' });
  }
  if (flag.bool(args, 'push')) outs.push({ type: 'registry', push: true });
  return outs;
}

async function runBuild(ctx: CliContext, args: ParsedArgs): Promise<number> {
  const network = (flag.str(args, 'network') ?? 'default') as StepNetwork;
  if (!['default', 'none', 'host'].includes(network)) throw new TugError('INVALID_ARGUMENT', `invalid --network "${network}"`, { hint: 'use default, none or host' });
  const progressMode = flag.bool(args, 'quiet') ? 'quiet' : flag.str(args, 'progress') ?? 'auto';
  if (!['auto', 'tty', 'plain', 'quiet', 'rawjson'].includes(progressMode)) throw new TugError('INVALID_ARGUMENT', `invalid --progress "${progressMode}"`, { hint: 'use auto, tty, plain or quiet' });
  const buildArgs = parseBuildArgs(flag.list(args, 'build-arg'), ctx.env);
  const labels: Record<string, string> = {};
  for (const l of flag.list(args, 'label')) {
    const eq = l.indexOf('=');
    labels[eq < 0 ? l : l.slice(0, eq)] = eq < 0 ? '' : l.slice(eq + 1);
  }
  const outputs = parseOutputs(args);
  const tags = flag.list(args, 'tag');
  for (const t of tags) parseReference(t); // a bad -t is refused before anything is built, as docker does
  if (outputs.some((o) => o.push) && tags.length === 0) throw new TugError('INVALID_ARGUMENT', '--push needs an image name', { hint: 'name the image with -t registry/repo:tag' });
  const prepared = await prepareInputs(ctx, args);
  try {
    if (flag.bool(args, 'check')) {
      const df = parseDockerfile(prepared.dockerfileText, { filename: prepared.dockerfileName });
      const warnings = lint(df, { buildArgs });
      ctx.stdout.write(`${summarize(warnings)}\n${warnings.length ? '\n' + formatWarnings(df, warnings) : ''}`);
      return warnings.length > 0 && checkConfig(df, { buildArgs }).error ? 1 : warnings.length > 0 ? 1 : 0;
    }
    const namedContexts = new Map<string, { dir?: string; image?: string }>();
    for (const c of flag.list(args, 'build-context')) {
      const eq = c.indexOf('=');
      if (eq < 1) throw new TugError('INVALID_ARGUMENT', `invalid --build-context "${c}"`, { hint: '--build-context name=dir or name=docker-image://ref' });
      const value = c.slice(eq + 1);
      if (value.startsWith('docker-image://')) namedContexts.set(c.slice(0, eq), { image: value.slice('docker-image://'.length) });
      else if (/^[a-z]+:\/\//.test(value)) throw new TugError('UNSUPPORTED', `--build-context ${value.split('://')[0]}:// is not supported yet`, { hint: 'use a directory or docker-image://ref' });
      else {
        const dir = resolve(value);
        if (!existsSync(dir)) throw new TugError('NOT_FOUND', `--build-context ${c.slice(0, eq)}: ${dir} not found`);
        namedContexts.set(c.slice(0, eq), { dir });
      }
    }
    const epochText = buildArgs.get('SOURCE_DATE_EPOCH') ?? ctx.env.SOURCE_DATE_EPOCH;
    const sourceDateEpoch = epochText !== undefined && epochText !== '' ? Number(epochText) : undefined;
    if (sourceDateEpoch !== undefined && !Number.isInteger(sourceDateEpoch)) throw new TugError('INVALID_ARGUMENT', `invalid SOURCE_DATE_EPOCH "${epochText}"`, { hint: 'a Unix time in seconds' });

    const cacheFrom = flag.list(args, 'cache-from');
    const cacheTo = flag.list(args, 'cache-to');
    const cacheio = cacheFrom.length || cacheTo.length ? await import('../../build/cacheio/index.js') : undefined;
    cacheFrom.forEach((c) => cacheio?.parseCacheFrom(c)); // bad specs fail before anything runs
    cacheTo.forEach((c) => cacheio?.parseCacheTo(c));
    const { Builder } = await import('../../build/builder.js');
    const sink = renderer(progressMode === 'rawjson' ? 'plain' : progressMode, ctx.stderr);
    const progress = new Progress(sink);
    const pullImage = async (ref: string) => {
      const { pullImage: pull } = await import('../../distribution/pull.js');
      const r = await pull(ctx.root, ref, {});
      const { ImageService } = await import('../../image/service.js');
      return ImageService.open(ctx.root).resolve(r.reference);
    };
    const io = cacheio?.cacheIo(ctx.root, cacheFrom, cacheTo, progress) ?? {};
    const request = {
      root: ctx.root, runRoot: ctx.runRoot, contextDir: prepared.contextDir, dockerfileText: prepared.dockerfileText,
      dockerfileName: prepared.dockerfileName, target: flag.str(args, 'target'), buildArgs, labels, tags,
      noCache: flag.bool(args, 'no-cache'), noCacheFilter: flag.list(args, 'no-cache-filter'), pull: flag.bool(args, 'pull'), network,
      secrets: parseSecrets(flag.list(args, 'secret'), ctx.env), ssh: parseSsh(flag.list(args, 'ssh'), ctx.env), namedContexts,
      platform: flag.str(args, 'platform'), sourceDateEpoch, progress, pullImage, cacheImporter: io.importer, cacheExporter: io.exporter,
    };
    if (flag.bool(args, 'twice')) {
      const { buildTwice } = await import('../../build/twice.js');
      let twice;
      try {
        twice = await buildTwice(request);
      } finally {
        progress.close();
      }
      if (!twice.same) throw new TugError('BUILD', `the build is not reproducible: ${twice.difference}`, { hint: 'look for timestamps, random data or unpinned downloads in that step' });
      ctx.stdout.write(`reproducible: both builds gave ${twice.first.manifestDigest} (image ${twice.first.configDigest})\n`);
      return 0;
    }
    const builder = new Builder(request);
    let result;
    try {
      result = await builder.build();
    } finally {
      progress.close();
    }
    if (result.warnings.length && progressMode !== 'quiet') {
      const df = parseDockerfile(prepared.dockerfileText, { filename: prepared.dockerfileName });
      ctx.stderr.write(`\n${summarize(result.warnings)}\n${formatWarnings(df, result.warnings)}`);
    }
    if (flag.bool(args, 'explain')) {
      ctx.stderr.write(result.explanations.length ? `\nCache misses:\n${result.explanations.map((e) => ` - ${e}`).join('\n')}\n` : '\nEvery step was cached.\n');
    }
    await writeOutputs(ctx, outputs, result.image.id, tags);
    const iid = flag.str(args, 'iidfile');
    if (iid) writeFileSync(iid, result.image.id);
    const meta = flag.str(args, 'metadata-file');
    if (meta) {
      writeFileSync(meta, JSON.stringify({
        'containerimage.config.digest': result.image.id,
        'containerimage.digest': result.image.manifestDigest,
        ...(tags.length ? { 'image.name': result.image.names.join(',') } : {}),
      }, null, 2) + '\n');
    }
    if (progressMode === 'quiet') ctx.stdout.write(`${result.image.id}\n`);
    return 0;
  } finally {
    prepared.cleanup();
  }
}

async function writeOutputs(ctx: CliContext, outputs: Output[], imageId: string, tags: string[]): Promise<void> {
  for (const o of outputs) {
    if (o.type === 'image' && !o.push) continue;
    if (o.push || o.type === 'registry') {
      const { pushImage } = await import('../../distribution/push.js');
      for (const t of tags) await pushImage(ctx.root, t, {});
      continue;
    }
    const { exportImage } = await import('../../build/outputs.js');
    await exportImage(ctx.root, ctx.runRoot, imageId, o.type, o.dest as string, tags);
  }
}


