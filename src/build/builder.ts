// `tug build`: a Dockerfile becomes stages of content-addressed steps. Every
// reachable stage starts at once and waits only for what it reads, so
// independent stages run in parallel; unreachable stages never run. Each
// filesystem step is looked up by its key before it is run.
import { chownSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { TugError } from '../util/errors.js';
import { openDb, type Db } from '../meta/db.js';
import type { Digest, ImageConfig, HistoryEntry } from '../oci/types.js';
import { parseDockerfile, resolveStages, StageEnv, lint, hostPlatform, formatPlatform, runInvocation } from '../dockerfile/index.js';
import type { Dockerfile, Instruction, ResolvedStage, LintWarning } from '../dockerfile/index.js';
import { ImageService, type ImageRecord } from '../image/service.js';
import { unpackImage, unpackLayers } from '../image/unpack.js';
import { Snapshotter } from '../snapshot/index.js';
import { BuildCache, buildMigrations, type RunStep, type StageState } from './cache.js';
import { digestOf, stepKey, type StepInputs } from './cachekey.js';
import { applyMetadata, cloneConfig, emptyConfig, envMap, resolveWorkdir } from './config.js';
import { BuildContext } from './context/context.js';
import { StatCache, statCacheMigrations } from './context/statcache.js';
import { explainMiss } from './explain.js';
import { discardWorkspace, finishWorkspace, openWorkspace } from './layers.js';
import { chainIDs } from '../archive/layer.js';
import type { Progress, Vertex } from './progress.js';
import { contextTree, copyStep, dirTree, isUrl, type SourceTree } from './steps/copy.js';
import { execStep, type StepNetwork } from './steps/exec.js';
import { prepareMounts, type SecretSource, type SshSource } from './steps/mounts.js';
import { writeImage } from './export.js';
import { resolveUser } from '../runtime/user.js';
import type { CacheExporter, CacheImporter, ExportedStep } from './remote-cache.js';
import { StepLog, recordBuildSteps, recordStepLog } from './steplog.js';

export interface BuildRequest {
  root: string;
  runRoot: string;
  contextDir: string;
  dockerfileText: string;
  dockerfileName: string;
  target?: string;
  buildArgs: Map<string, string>;
  labels: Record<string, string>;
  tags: string[];
  noCache: boolean;
  noCacheFilter: string[];
  pull: boolean;
  network: StepNetwork;
  secrets: Map<string, SecretSource>;
  ssh: Map<string, SshSource>;
  /** --build-context name=dir|docker-image://ref */
  namedContexts: Map<string, { dir?: string; image?: string }>;
  platform?: string;
  sourceDateEpoch?: number;
  progress: Progress;
  /** --cache-from sources, asked on a local miss; --cache-to destinations, given every step at the end. */
  cacheImporter?: CacheImporter;
  cacheExporter?: CacheExporter;
  /** Pull a missing base image (wired by the CLI to the distribution client). */
  pullImage?: (ref: string, progress: Vertex) => Promise<ImageRecord>;
}

export interface BuildResult {
  image: ImageRecord;
  config: ImageConfig;
  warnings: LintWarning[];
  explanations: string[];
  steps: number;
  cached: number;
}

interface StageResult {
  state: StageState;
  key: string;
  env: StageEnv;
}

/** History time: SOURCE_DATE_EPOCH when given, so two builds of the same inputs agree. */
function timestamp(epoch?: number): string {
  return epoch !== undefined ? new Date(epoch * 1000).toISOString().replace('.000Z', 'Z') : new Date().toISOString();
}

/** The newest history time of a config (what BuildKit stamps a cached image with). */
function lastCreated(config: ImageConfig): string | undefined {
  const h = config.history ?? [];
  for (let i = h.length - 1; i >= 0; i--) if (h[i].created) return h[i].created;
  return config.created;
}

function stagePrefix(rs: ResolvedStage, multi: boolean): string {
  if (!multi) return '';
  return rs.name ?? `stage-${rs.index}`;
}

/** Secret values must never reach a stored or printed log. */
function scrub(data: Buffer, secrets: string[]): Buffer {
  if (secrets.length === 0) return data;
  let s = data.toString();
  for (const v of secrets) if (v.length >= 4) s = s.split(v).join('****');
  return Buffer.from(s);
}

export class Builder {
  private readonly images: ImageService;
  private readonly snaps: Snapshotter;
  private readonly cache: BuildCache;
  private readonly db: Db;
  private readonly stages = new Map<number, Promise<StageResult>>();
  private readonly runSteps: RunStep[] = [];
  private readonly explanations: string[] = [];
  private previousLoaded = false;
  private previousRun?: RunStep[];
  private targetId = '';
  private df!: Dockerfile;
  private ctx?: BuildContext;
  private resolved!: ReturnType<typeof resolveStages>;
  private baseImages = new Map<string, ImageRecord>();
  private stepsRun = 0;
  private stepsCached = 0;
  private readonly cleanups: Array<() => Promise<void>> = [];
  private readonly exported: ExportedStep[] = [];
  private readonly cacheMountIds = new Set<string>();
  /** Per-file digests of COPY sources, computed only for --explain and for recording a changed run. */
  private readonly fileDetails = new Map<StepInputs, () => Record<string, string>>();
  /** Full step logs (steplog.ts): the step each RUN vertex runs, and its committed log. */
  private readonly vertexSteps = new Map<Vertex, { key: string; description: string }>();
  private readonly stepLogs = new Map<Vertex, { digest: Digest; size: number }>();

  constructor(private readonly req: BuildRequest) {
    this.images = ImageService.open(req.root);
    this.snaps = Snapshotter.open(req.root);
    this.db = openDb(req.root, [buildMigrations, statCacheMigrations]);
    this.cache = new BuildCache(this.db);
  }


  async build(): Promise<BuildResult> {
    const { progress } = this.req;
    const v = progress.start('[internal] load build definition from ' + this.req.dockerfileName);
    v.status(`transferring dockerfile: ${Buffer.byteLength(this.req.dockerfileText)}B done`);
    try {
      this.df = parseDockerfile(this.req.dockerfileText, { filename: this.req.dockerfileName });
      this.resolved = resolveStages(this.df, { target: this.req.target, buildArgs: this.req.buildArgs, platform: this.req.platform ? { target: this.req.platform } : undefined });
      v.done();
    } catch (e) {
      v.done((e as Error).message.split('\n')[0]);
      throw e;
    }
    const host = hostPlatform();
    if (formatPlatform(this.resolved.targetPlatform) !== formatPlatform(host)) {
      throw new TugError('UNSUPPORTED', `building for ${formatPlatform(this.resolved.targetPlatform)} is not supported yet`, { hint: `tug builds for the native platform, ${formatPlatform(host)}` });
    }
    const warnings = lint(this.df, {});
    const targetId = digestOf({ context: this.req.contextDir, dockerfile: this.req.dockerfileName, target: this.resolved.target.index });
    this.targetId = targetId;

    await this.loadBaseImages();
    let builtImage: string | null = null;
    try {
      for (const rs of this.resolved.stages) this.stage(rs.index);
      const final = await this.stage(this.resolved.target.index);
      const exportV = progress.start('exporting to image');
      exportV.status('exporting layers done');
      const parent = await this.writeIntermediates(final.state);
      const targetChain = new Set(final.state.layers.map((l) => l.blob.digest));
      const cacheSteps = this.exported.map((s) => ({ ...s, inTarget: s.state.layers.every((l) => targetChain.has(l.blob.digest)) }));
      const image = await writeImage(this.images, final.state, {
        tags: this.req.tags,
        labels: this.req.labels,
        created: lastCreated(final.state.config) ?? timestamp(this.req.sourceDateEpoch),
        parent,
        extraConfig: this.req.cacheExporter?.inline?.(cacheSteps), // --cache-to type=inline
      });
      builtImage = image.id;
      exportV.status(`writing image ${image.id} done`);
      for (const t of image.names) exportV.status(`naming to ${t} done`);
      exportV.done();
      this.cache.recordRun(targetId, this.runSteps, () => {
        for (const [step, files] of this.fileDetails) step.files = files();
      });
      if (this.req.cacheExporter) {
        const exportV = progress.start('exporting cache');
        await this.req.cacheExporter.export(cacheSteps, [...this.cacheMountIds]);
        exportV.done();
      }
      this.ctx?.flush();
      for (const w of this.resolved.warnings) progress.note(`WARNING: ${w}`);
      return { image, config: await this.images.config(image), warnings, explanations: this.explanations, steps: this.stepsRun, cached: this.stepsCached };
    } finally {
      // every stage settles before cleanup, so no step is left with a mount
      await Promise.allSettled([...this.stages.values()]);
      for (const c of this.cleanups.reverse()) await c().catch(() => {});
      try {
        recordBuildSteps(this.db, builtImage, this.runSteps.map((s) => s.key));
      } catch {
        /* the log index is a convenience: never fail a build over it */
      }
    }
  }

  /**
   * Each filesystem step of the target's chain is kept as an untagged image
   * whose parent is the step before (`images -a`, `history`), as docker's
   * classic builder did. Returns the parent for the final image.
   */
  private async writeIntermediates(final: StageState): Promise<string | null> {
    const finalLayers = new Set(final.layers.map((l) => l.blob.digest));
    let parent: string | null = final.baseId ?? null;
    const seen = new Set<string>();
    for (const step of this.exported) {
      const s = step.state;
      if (s.layers.length === 0 || !s.layers.every((l) => finalLayers.has(l.blob.digest))) continue;
      const top = s.layers[s.layers.length - 1].blob.digest;
      if (seen.has(top)) continue;
      seen.add(top);
      const img = await writeImage(this.images, s, { tags: [], labels: {}, created: lastCreated(s.config) ?? timestamp(this.req.sourceDateEpoch), parent });
      parent = img.id;
    }
    return parent;
  }

  /** The last build of this target, read only when a step misses (it can be large). */
  private get previous(): RunStep[] | undefined {
    if (!this.previousLoaded) {
      this.previousRun = this.cache.lastRun(this.targetId);
      this.previousLoaded = true;
    }
    return this.previousRun;
  }

  /** Unpacks the layers of a state that came from an imported cache (its blobs are in the content store). */
  private async unpackState(state: StageState): Promise<void> {
    const chains = chainIDs(state.layers.map((l) => l.diffID));
    await unpackLayers(this.images.content, this.snaps, state.layers.map((l, i) => ({ chainID: chains[i], digest: l.blob.digest })));
  }


  private async loadBaseImages(): Promise<void> {
    for (const ref of this.resolved.images) {
      const named = this.req.namedContexts.get(ref);
      const imageRef = named?.image ?? ref;
      if (named?.dir) continue;
      const v = this.req.progress.start(`[internal] load metadata for ${imageRef}`);
      try {
        let img: ImageRecord | undefined;
        if (!this.req.pull) {
          try {
            img = this.images.resolve(imageRef);
          } catch (e) {
            if (!(e instanceof TugError && e.code === 'NOT_FOUND')) throw e;
          }
        }
        if (!img) {
          if (!this.req.pullImage) throw new TugError('NOT_FOUND', `${imageRef}: image not found locally`, { hint: `import or pull it first (tug pull ${imageRef})` });
          img = await this.req.pullImage(imageRef, v);
        }
        this.baseImages.set(ref, img);
        v.done();
      } catch (e) {
        v.done((e as Error).message);
        throw e;
      }
    }
  }

  private context(): BuildContext {
    if (!this.ctx) {
      const v = this.req.progress.start('[internal] load build context');
      this.ctx = BuildContext.open(this.req.contextDir, { cache: StatCache.load(this.db, this.req.contextDir) });
      v.status(`transferring context: ${this.ctx.size} entries done`);
      v.done();
    }
    return this.ctx;
  }

  private stage(index: number): Promise<StageResult> {
    let p = this.stages.get(index);
    if (!p) {
      const rs = this.resolved.all[index];
      p = this.runStage(rs);
      p.catch(() => {}); // observed by whoever awaits it
      this.stages.set(index, p);
    }
    return p;
  }

  private async baseState(rs: ResolvedStage): Promise<{ state: StageState; key: string; env?: StageEnv }> {
    if (rs.scratch) return { state: { chainID: null, layers: [], config: emptyConfig(rs.platform) }, key: digestOf({ from: 'scratch', platform: rs.platform }) };
    if (rs.baseStage !== undefined) {
      const parent = await this.stage(rs.baseStage);
      return { state: parent.state, key: parent.key, env: parent.env };
    }
    const img = this.baseImages.get(rs.baseRef) as ImageRecord;
    const config = await this.images.config(img);
    const manifest = await this.images.manifest(img);
    const layers = manifest.layers.map((blob, i) => ({ diffID: config.rootfs.diff_ids[i], blob }));
    const chain = img.layers.length ? img.layers[img.layers.length - 1].chainID : null;
    if (chain && !(await this.snaps.has(chain))) await unpackImage(this.images, this.snaps, img);
    return { state: { chainID: chain, layers, config: cloneConfig(config), baseId: img.id }, key: digestOf({ from: img.id }) };
  }

  private async runStage(rs: ResolvedStage): Promise<StageResult> {
    const multi = this.resolved.stages.length > 1;
    const prefix = stagePrefix(rs, multi);
    const total = rs.stage.instructions.length + 1;
    const label = (n: number): string => `[${prefix ? `${prefix} ` : ''}${n}/${total}]`;
    const fromV = this.req.progress.start(`${label(1)} FROM ${rs.baseRef}`);
    let base;
    try {
      base = await this.baseState(rs);
    } catch (e) {
      fromV.done((e as Error).message);
      throw e;
    }
    fromV.cached();
    let { state, key } = base;
    state = { ...state, config: cloneConfig(state.config) };
    state.config.history ??= [];
    const env = new StageEnv({
      imageEnv: envMap(state.config.config),
      globalArgs: this.resolved.globalArgs,
      buildArgs: this.req.buildArgs,
      platformArgs: rs.platformArgs,
      escapeToken: this.df.escapeToken,
      lines: this.df.lines,
    });
    const flags = { cmdSet: false };
    let parentMissed = false;
    const now = timestamp(this.req.sourceDateEpoch);

    // ONBUILD triggers of the base run first, then are cleared, as docker does.
    const triggers = state.config.config?.OnBuild ?? [];
    const instructions: Instruction[] = [...rs.stage.instructions];
    if (triggers.length && state.config.config) {
      state.config.config.OnBuild = null;
      const parsed = parseDockerfile(`FROM scratch\n${triggers.join('\n')}\n`, { filename: `${rs.baseRef} ONBUILD` });
      instructions.unshift(...parsed.stages[0].instructions);
    }

    for (let i = 0; i < instructions.length; i++) {
      const raw = instructions[i];
      const inst = env.apply(raw).instruction;
      // a metadata step takes the time of the step before it, so a fully cached rebuild gives the same image id
      const meta = applyMetadata(state.config, inst, lastCreated(state.config) ?? now, flags);
      if (meta) {
        key = stepKey(key, { definition: meta.history.created_by ?? '', inputs: {} });
        meta.config.history = [...(meta.config.history ?? []), meta.history];
        state = { ...state, config: meta.config };
        continue;
      }
      const vertex = this.req.progress.start(`${label(i + 2)} ${raw.original.replace(/\s+/g, ' ').trim()}`);
      try {
        const { step, files } = await this.describe(inst, state, env, rs);
        const nextKey = stepKey(key, step);
        this.runSteps.push({ stage: prefix || 'default', index: i + 2, key: nextKey, step });
        if (files) this.fileDetails.set(step, files);
        this.vertexSteps.set(vertex, { key: nextKey, description: `${label(i + 2)} ${raw.original.trim()}`.slice(0, 200) });
        const skipCache = this.req.noCache || (prefix !== '' && this.req.noCacheFilter.includes(prefix)) || (rs.name !== undefined && this.req.noCacheFilter.includes(rs.name));
        let hit = skipCache ? undefined : this.cache.get(nextKey);
        if (!hit && !skipCache && this.req.cacheImporter) {
          hit = await this.req.cacheImporter.lookup(nextKey);
          if (hit) {
            try {
              if (hit.chainID && !(await this.snaps.has(hit.chainID))) await this.unpackState(hit);
              this.cache.put(nextKey, hit, 0, `${label(i + 2)} ${raw.original.trim()}`.slice(0, 200));
            } catch (e) {
              this.req.progress.note(`WARNING: imported cache record for ${label(i + 2)} is unusable: ${(e as Error).message.split('\n')[0]}`);
              hit = undefined;
            }
          }
        }
        if (inst.kind === 'RUN') for (const m of inst.mounts) if (m.type === 'cache') this.cacheMountIds.add(m.id);
        if (hit) {
          state = hit;
          vertex.cached();
          this.stepsCached++;
        } else {
          const why = skipCache ? (this.req.noCache ? '--no-cache' : '--no-cache-filter') : explainMiss(step, prefix || 'default', i + 2, this.previous, parentMissed, files);
          this.explanations.push(`${label(i + 2)} ${raw.original.trim()}: ${why}`);
          vertex.status(`cache miss: ${why}`);
          parentMissed = true;
          if (inst.kind === 'RUN' && this.req.cacheImporter?.restoreCacheMount) {
            for (const m of inst.mounts) if (m.type === 'cache') await this.req.cacheImporter.restoreCacheMount(m.id);
          }
          const r = await this.execute(inst, state, env, rs, vertex, now);
          state = r.state;
          this.cache.put(nextKey, state, r.size, `${label(i + 2)} ${raw.original.trim()}`.slice(0, 200));
          const log = this.stepLogs.get(vertex);
          if (log) recordStepLog(this.db, nextKey, log, this.vertexSteps.get(vertex)?.description ?? nextKey);
          vertex.done();
          this.stepsRun++;
        }
        key = nextKey;
        this.exported.push({ key, state, stage: prefix || 'default', inTarget: false });
        this.req.cacheExporter?.stepDone?.(this.exported[this.exported.length - 1]);
      } catch (e) {
        vertex.done((e as Error).message.split('\n')[0]);
        throw e;
      }
    }
    return { state, key, env };
  }

  /** The cache-relevant description of a filesystem step: definition plus named content inputs. */
  private async describe(inst: Instruction, state: StageState, env: StageEnv, rs: ResolvedStage): Promise<{ step: StepInputs; files?: () => Record<string, string> }> {
    const cc = state.config.config ?? {};
    const workdir = cc.WorkingDir || '/';
    switch (inst.kind) {
      case 'RUN': {
        const inputs: Record<string, string> = {};
        for (const m of inst.mounts) {
          if (m.type === 'bind' || (m.type === 'cache' && m.from !== undefined)) {
            const from = m.from;
            if (from === undefined) inputs[`file:${m.source ?? '.'}`] = this.context().checksum([m.source ? m.source.replace(/^\/+/, '') : '']);
            else inputs[`stage:${from}`] = await this.sourceKey(from, rs);
          }
        }
        const runEnv = [...env.runEnv()].map(([k, v]) => `${k}=${v}`).sort();
        return { step: {
          definition: JSON.stringify({
            run: inst.command, json: inst.json, heredocs: inst.heredocs.map((h) => [h.name, h.data]), shell: cc.Shell ?? null, env: runEnv,
            user: cc.User ?? '', workdir, network: inst.network ?? this.req.network, security: inst.security ?? 'sandbox',
            mounts: inst.mounts.map((m) => ({ ...m })),
          }),
          inputs,
        } };
      }
      case 'COPY':
      case 'ADD': {
        const inputs: Record<string, string> = {};
        const fileRoots: string[] = [];
        const from = inst.kind === 'COPY' ? inst.from : undefined;
        if (from !== undefined) inputs[`stage:${from}`] = await this.sourceKey(from, rs);
        else {
          const ctx = this.context();
          for (const src of inst.sources) {
            if (inst.kind === 'ADD' && isUrl(src)) {
              inputs[`url:${src}`] = inst.checksum ?? `unpinned:${Date.now()}`; // unpinned URLs are always re-fetched
              continue;
            }
            // the key takes each source's tree digest; per-file digests are only for --explain
            for (const rel of ctx.match(src)) {
              inputs[`tree:${rel}`] = ctx.digest(rel);
              fileRoots.push(rel);
            }
          }
        }
        if (inst.chown && /[^0-9:]/.test(inst.chown)) inputs['file:/etc/passwd'] = state.chainID ?? 'scratch'; // names resolve in the image
        return { step: {
          definition: JSON.stringify({
            kind: inst.kind, sources: inst.sources, dest: inst.dest, workdir, chown: inst.chown ?? null, chmod: inst.chmod ?? null, link: inst.link,
            exclude: inst.exclude, parents: inst.kind === 'COPY' ? inst.parents : false, inline: inst.inline.map((f) => [f.name, f.data]),
          }),
          inputs,
        }, files: fileRoots.length ? () => this.filesUnder(fileRoots) : undefined };
      }
      case 'WORKDIR':
        return { step: { definition: `WORKDIR ${resolveWorkdir(cc.WorkingDir, inst.path)} user=${cc.User ?? ''}`, inputs: {} } };
      default:
        throw new TugError('INTERNAL', `unexpected instruction ${inst.kind}`);
    }
  }

  private filesUnder(roots: string[]): Record<string, string> {
    const ctx = this.context();
    const out: Record<string, string> = {};
    for (const rel of roots) for (const e of ctx.walkFrom(rel)) if (e.type !== 'dir') out[e.rel] = ctx.digest(e.rel);
    return out;
  }

  /** The cache identity of a --from source: a stage's key, a named context's content, or an image id. */
  private async sourceKey(from: string, rs: ResolvedStage): Promise<string> {
    const stageIndex = this.stageIndexOf(from);
    if (stageIndex !== undefined) return (await this.stage(stageIndex)).key;
    const named = this.req.namedContexts.get(from);
    if (named?.dir) return BuildContext.open(named.dir).checksum(['']);
    return (await this.imageFor(from, rs)).id;
  }

  private stageIndexOf(from: string): number | undefined {
    const lower = from.toLowerCase();
    const byName = this.resolved.all.find((s) => s.name === lower);
    if (byName) return byName.index;
    if (/^\d+$/.test(from) && Number(from) < this.resolved.all.length) return Number(from);
    return undefined;
  }

  private async imageFor(ref: string, _rs: ResolvedStage): Promise<ImageRecord> {
    const known = this.baseImages.get(ref);
    if (known) return known;
    const named = this.req.namedContexts.get(ref);
    const imageRef = named?.image ?? ref;
    try {
      const img = this.images.resolve(imageRef);
      this.baseImages.set(ref, img);
      return img;
    } catch (e) {
      if (!(e instanceof TugError && e.code === 'NOT_FOUND') || !this.req.pullImage) throw e;
      const v = this.req.progress.start(`[internal] load metadata for ${imageRef}`);
      const img = await this.req.pullImage(imageRef, v);
      v.done();
      this.baseImages.set(ref, img);
      return img;
    }
  }

  /** A read-only directory holding a stage's, image's or named context's files, for COPY --from and mounts. */
  private async sourceDir(from: string | undefined, rs: ResolvedStage): Promise<string> {
    if (from === undefined) return this.req.contextDir;
    const named = this.req.namedContexts.get(from);
    if (named?.dir) return named.dir;
    const stageIndex = this.stageIndexOf(from);
    const chain = stageIndex !== undefined ? (await this.stage(stageIndex)).state.chainID : await this.imageChain(from, rs);
    const dir = join(this.req.runRoot, 'build', 'views', randomBytes(8).toString('hex'));
    mkdirSync(dir, { recursive: true });
    if (chain === null) {
      this.cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
      return dir;
    }
    const key = `view-${randomBytes(8).toString('hex')}`;
    await this.snaps.view(key, chain);
    await this.snaps.mount(key, dir);
    this.cleanups.push(async () => {
      await this.snaps.unmount(dir);
      await this.snaps.remove(key);
      rmSync(dir, { recursive: true, force: true });
    });
    return dir;
  }

  private async imageChain(ref: string, rs: ResolvedStage): Promise<Digest | null> {
    const img = await this.imageFor(ref, rs);
    const chain = img.layers.length ? img.layers[img.layers.length - 1].chainID : null;
    if (chain && !(await this.snaps.has(chain))) await unpackImage(this.images, this.snaps, img);
    return chain;
  }

  private async execute(inst: Instruction, state: StageState, env: StageEnv, rs: ResolvedStage, vertex: Vertex, now: string): Promise<{ state: StageState; size: number }> {
    const cc = state.config.config ?? {};
    const ws = await openWorkspace(this.snaps, this.req.runRoot, state.chainID);
    let createdBy: string;
    try {
      switch (inst.kind) {
        case 'RUN':
          createdBy = await this.runStep(inst, state, env, rs, ws.rootfs, vertex);
          break;
        case 'COPY':
        case 'ADD': {
          const from = inst.kind === 'COPY' ? inst.from : undefined;
          const tree: SourceTree = from === undefined ? contextTree(this.context()) : dirTree(await this.sourceDir(from, rs), from);
          let chown: { uid: number; gid: number } | undefined;
          if (inst.chown) {
            const u = resolveUser(ws.rootfs, inst.chown);
            chown = { uid: u.uid, gid: u.gid };
          }
          await copyStep({
            rootfs: ws.rootfs, dest: inst.dest, workdir: cc.WorkingDir || '/', sources: inst.sources, inline: inst.inline, tree,
            chown, chmod: inst.chmod ? parseInt(inst.chmod, 8) : undefined, exclude: inst.exclude,
            parents: inst.kind === 'COPY' ? inst.parents : false,
            add: inst.kind === 'ADD' ? { checksum: inst.checksum, unpack: inst.unpack } : undefined,
          });
          createdBy = `${inst.kind} ${from !== undefined ? `--from=${from} ` : ''}${[...inst.sources, ...inst.inline.map((f) => f.name)].join(' ')} ${inst.dest} # buildkit`;
          break;
        }
        case 'WORKDIR': {
          const dir = resolveWorkdir(cc.WorkingDir, inst.path);
          const u = resolveUser(ws.rootfs, cc.User ?? '');
          const abs = join(ws.rootfs, dir);
          const made = mkdirSync(abs, { recursive: true });
          if (made && (u.uid !== 0 || u.gid !== 0)) chownSync(abs, u.uid, u.gid);
          state = { ...state, config: { ...cloneConfig(state.config), config: { ...cc, WorkingDir: dir } } };
          createdBy = `WORKDIR ${dir}`;
          break;
        }
        default:
          throw new TugError('INTERNAL', `unexpected instruction ${inst.kind}`);
      }
    } catch (e) {
      await discardWorkspace(this.snaps, ws);
      throw e;
    }
    const result = await finishWorkspace(this.snaps, this.images.content, ws, state.chainID, { sourceDateEpoch: this.req.sourceDateEpoch });
    const config = cloneConfig(state.config);
    const history: HistoryEntry = { created: now, created_by: createdBy, comment: 'buildkit.dockerfile.v0' };
    if (!result) {
      config.history = [...(config.history ?? []), { ...history, empty_layer: true }];
      return { state: { ...state, config }, size: 0 };
    }
    config.history = [...(config.history ?? []), history];
    config.rootfs = { type: 'layers', diff_ids: [...config.rootfs.diff_ids, result.layer.diffID] };
    return { state: { ...state, chainID: result.chainID, layers: [...state.layers, result.layer], config }, size: result.size };
  }

  private async runStep(inst: Extract<Instruction, { kind: 'RUN' }>, state: StageState, env: StageEnv, rs: ResolvedStage, rootfs: string, vertex: Vertex): Promise<string> {
    const cc = state.config.config ?? {};
    const { argv: args, files } = runInvocation(inst, cc.Shell ?? undefined);
    const mounts = await prepareMounts(inst.mounts, {
      root: this.req.root, runRoot: this.req.runRoot, secrets: this.req.secrets, ssh: this.req.ssh,
      sourceDir: (from) => this.sourceDir(from, rs),
    });
    // heredoc scripts with a #! line run as files, mounted read-only for this step only
    for (const f of files) {
      const host = join(this.req.runRoot, 'build', 'pipes', randomBytes(8).toString('hex'));
      mkdirSync(join(host, '..'), { recursive: true });
      writeFileSync(host, f.data, { mode: f.mode });
      mounts.mounts.push({ destination: f.path, type: 'bind', source: host, options: ['rbind', 'ro'] });
      this.cleanups.push(async () => rmSync(host, { force: true }));
    }
    const runEnv = env.runEnv();
    if (!runEnv.has('PATH')) runEnv.set('PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
    const tail: string[] = [];
    const log = await StepLog.open(this.images.content);
    let code: number | undefined;
    try {
      code = await execStep({
        root: this.req.root, runRoot: this.req.runRoot, rootfs, args,
        env: [...[...runEnv].map(([k, v]) => `${k}=${v}`), ...mounts.env],
        user: cc.User ?? '', cwd: cc.WorkingDir || '/', network: inst.network ?? this.req.network, insecure: inst.security === 'insecure',
        mounts: mounts.mounts,
        onOutput: (stream, data) => {
          const clean = scrub(data, mounts.secretValues);
          vertex.log(stream, clean);
          log.write(clean);
          tail.push(...clean.toString().split('\n').filter(Boolean));
          if (tail.length > 20) tail.splice(0, tail.length - 20);
        },
      });
      if (code !== 0) {
        throw new TugError('BUILD', `process "${args.join(' ')}" did not complete successfully: exit code: ${code}`, {
          hint: tail.length ? `last output:\n${tail.slice(-10).map((l) => `  ${l}`).join('\n')}` : 'the command printed nothing',
          exitCode: 1,
        });
      }
    } finally {
      await mounts.release();
      const saved = await log.finish().catch(() => undefined);
      const step = this.vertexSteps.get(vertex);
      if (saved && code === 0) this.stepLogs.set(vertex, saved);
      else if (saved && step) recordStepLog(this.db, step.key, saved, step.description, code ?? -1);
    }
    // BuildKit's history line: build args the step saw are listed as |N k=v
    const declared = [...env.declaredArgs()].filter(([, v]) => v !== undefined);
    const argPrefix = declared.length ? `|${declared.length} ${declared.map(([k, v]) => `${k}=${v}`).join(' ')} ` : '';
    return `RUN ${argPrefix}${args.join(' ')} # buildkit`;
  }
}
