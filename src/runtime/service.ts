// The container service: one per tug process and state root. Every verb goes
// through here; state is reconciled from conmon's exit files whenever a
// record is read, so no daemon is needed.
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { TugError } from '../util/errors.js';
import { paths, type RuntimePaths } from './paths.js';
import { ContainerStore } from './store.js';
import { OciRuntime } from './ocirt.js';
import type { ContainerRecord } from './types.js';
import { removeContainerCgroups } from './cgroups.js';
import { detachNetworks } from './network.js';
import { imageSource } from './imagesource.js';
import { Volumes } from './volumes.js';
import { trace } from './trace.js';

export function pidAlive(pid: number): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export class ContainerService {
  readonly store: ContainerStore;
  private runtimes = new Map<string, OciRuntime>();
  private vols?: Volumes;

  constructor(readonly p: RuntimePaths) {
    this.store = ContainerStore.open(p.root);
  }

  static open(root: string, runRoot: string): ContainerService {
    return new ContainerService({ root, runRoot });
  }

  get volumes(): Volumes {
    if (!this.vols) this.vols = new Volumes(this.store.db, this.p);
    return this.vols;
  }

  runtime(name: string): OciRuntime {
    let r = this.runtimes.get(name);
    if (!r) {
      r = new OciRuntime(name, this.p);
      this.runtimes.set(name, r);
    }
    return r;
  }

  ensureDirs(): void {
    for (const d of [paths.exitDir(this.p), paths.socketDir(this.p), paths.tmp(this.p), `${this.p.runRoot}/ctr`]) mkdirSync(d, { recursive: true });
  }

  /** Finds a container (docker's lookup rules) with its state brought up to date. */
  async get(ref: string): Promise<ContainerRecord> {
    const rec = await this.refresh(this.store.mustFind(ref));
    if (!this.store.get(rec.id)) return this.store.mustFind(rec.id); // removed (--rm) while we looked: NOT_FOUND
    return rec;
  }

  async list(): Promise<ContainerRecord[]> {
    const out: ContainerRecord[] = [];
    for (const r of this.store.list()) {
      const fresh = await this.refresh(r);
      if (this.store.get(fresh.id)) out.push(fresh);
    }
    return out;
  }

  /** Reads the exit file conmon writes; undefined while the container runs. */
  readExitCode(id: string): { code: number; at: Date } | undefined {
    const f = paths.exitFile(this.p, id);
    try {
      const text = readFileSync(f, 'utf8').trim();
      if (text === '') return undefined;
      return { code: Number(text), at: statSync(f).mtime };
    } catch {
      return undefined;
    }
  }

  conmonAlive(id: string): boolean {
    try {
      const pid = Number(readFileSync(`${paths.bundle(this.p, id)}/conmon.pid`, 'utf8').trim());
      if (!pid) return false;
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'conmon';
    } catch {
      return false;
    }
  }

  /**
   * Brings the record in line with reality: a running container whose exit
   * file exists has exited; one whose conmon is gone (killed, host rebooted)
   * has exited with its code lost. Releases what an exited container holds.
   */
  async refresh(rec: ContainerRecord): Promise<ContainerRecord> {
    const st = rec.state.status;
    if (st === 'exited' && rec.config.autoRemove && rec.config.restartPolicy.name === 'no' && !pidAlive(rec.state.foregroundPid)) {
      // --rm whose remover died half-way (foreground tug killed after the exit): finish the job
      await this.remove(rec, true);
      return rec;
    }
    if (st !== 'running' && st !== 'paused' && st !== 'restarting') return rec;
    const exit = this.readExitCode(rec.id);
    if (exit) return this.markExited(rec, exit.code, exit.at, '');
    if (st === 'restarting' && pidAlive(rec.state.starterPid ?? 0)) return rec; // a start in progress
    if (this.conmonAlive(rec.id)) {
      if (st === 'restarting') return this.adoptInterruptedStart(rec);
      return rec;
    }
    // conmon is gone: look once more (it writes the file before exiting), then give up on the code.
    const again = this.readExitCode(rec.id);
    if (again) return this.markExited(rec, again.code, again.at, '');
    const rt = this.runtime(rec.config.runtime);
    if (rt.state(rec.id)?.status === 'running') {
      try {
        rt.kill(rec.id, 'KILL', true);
      } catch { /* raced with its exit */ }
    }
    return this.markExited(rec, 255, new Date(), 'container monitor (conmon) exited unexpectedly; exit code lost');
  }

  /**
   * The tug that was starting this container died after conmon was up: if the
   * runtime started it, it is running; if not, kill the created container so
   * conmon records an exit and its exit command cleans up.
   */
  private adoptInterruptedStart(rec: ContainerRecord): ContainerRecord {
    const rt = this.runtime(rec.config.runtime);
    const state = rt.state(rec.id);
    if (state?.status === 'running' || state?.status === 'paused') {
      return this.store.updateState(rec.id, (s) => {
        if (s.generation !== rec.state.generation || s.status !== 'restarting') return false;
        s.status = state.status === 'paused' ? 'paused' : 'running';
        s.pid = state.pid;
        s.startedAt = s.startedAt || new Date().toISOString();
      }) ?? rec;
    }
    if (state?.status === 'created') {
      try {
        rt.kill(rec.id, 'KILL');
      } catch { /* exited meanwhile */ }
    }
    return rec;
  }

  private async markExited(rec: ContainerRecord, code: number, at: Date, error: string): Promise<ContainerRecord> {
    const oom = existsSync(`${paths.bundle(this.p, rec.id)}/oom`);
    let changed = false;
    const updated = this.store.updateState(rec.id, (s) => {
      if (s.status !== 'running' && s.status !== 'paused' && s.status !== 'restarting') return false;
      if (s.generation !== rec.state.generation) return false;
      s.status = 'exited';
      s.exitCode = code;
      s.finishedAt = at.toISOString();
      s.oomKilled = oom;
      s.error = error;
      s.pid = 0;
      s.conmonPid = 0;
      if (s.health) s.health.status = 'unhealthy';
      changed = true;
    });
    const now = updated ?? rec;
    if (changed) {
      await this.release(now);
      // --rm when nobody else will: the foreground run is gone and the exit command did not run.
      if (now.config.autoRemove && !pidAlive(now.state.foregroundPid) && now.config.restartPolicy.name === 'no') await this.remove(now, true);
    }
    return now;
  }

  /** Gives back what a started container holds: runtime state, rootfs mount, network, cgroups. Idempotent. */
  async release(rec: ContainerRecord): Promise<void> {
    // Claim the release atomically: the exit command and any tug that looks may race here,
    // and a second network teardown makes netavark complain.
    let mine = false;
    this.store.updateState(rec.id, (s) => {
      if (s.held === false || s.status === 'running' || s.status === 'paused' || s.status === 'restarting') return false;
      s.held = false;
      mine = true;
    });
    if (!mine && this.store.get(rec.id)) return;
    const rt = this.runtime(rec.config.runtime);
    // The runtime's delete and the rootfs unmount are independent: run them side by side.
    const deleted = rt.hasState(rec.id) ? rt.runAsync(['delete', '--force', rec.id]).catch(() => '') : Promise.resolve('');
    if (rec.config.snapshotKey) {
      try {
        const src = await imageSource(this.p.root);
        await src.unmount(paths.rootfsMount(this.p, rec.id));
      } catch { /* not mounted */ }
    }
    await deleted;
    trace('release: runtime delete + unmount');
    try {
      await detachNetworks(this.p, rec);
    } catch { /* best effort; logged by the network module */ }
    trace('release: network');
    removeContainerCgroups(rec.id);
    try {
      unlinkSync(`${paths.socketDir(this.p)}/${rec.id}`);
    } catch { /* none */ }
  }

  /** Deletes a stopped container and everything it owns. */
  async remove(rec: ContainerRecord, removeVolumes: boolean): Promise<void> {
    await this.release(rec);
    if (rec.config.snapshotKey) {
      const src = await imageSource(this.p.root);
      await src.remove(rec.config.snapshotKey).catch(() => {}); // another cleanup may have got there first
      // The init layer stays: it is shared by every container of this image and recreating it costs a mount per run.
    }
    trace('remove: snapshot');
    rmSync(paths.bundle(this.p, rec.id), { recursive: true, force: true });
    rmSync(paths.ctrDir(this.p, rec.id), { recursive: true, force: true });
    rmSync(paths.exitFile(this.p, rec.id), { force: true });
    this.store.delete(rec.id);
    if (removeVolumes) {
      for (const m of rec.config.mounts) {
        if (m.type === 'volume' && m.anonymous) {
          try {
            this.volumes.remove(m.source, this.store.list());
          } catch { /* in use elsewhere */ }
        }
      }
    }
  }

  notRunning(rec: ContainerRecord): TugError {
    return new TugError('CONFLICT', `container ${rec.id} is not running`, { hint: `start it first: tug start ${rec.name}` });
  }
}
