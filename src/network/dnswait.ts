// netavark returns before aardvark-dns has re-read its config (it only sends
// SIGHUP), so a name looked up right after `run` or `network connect` can get
// NXDOMAIN. We ask aardvark ourselves, a few ms at a time, until its answer
// matches, so callers see resolution follow connect/disconnect at once.
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

function query(name: string): { id: number; packet: Buffer } {
  const id = randomBytes(2).readUInt16BE(0);
  const labels = name.split('.').filter(Boolean).map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2); // recursion desired
  header.writeUInt16BE(1, 4); // one question
  return { id, packet: Buffer.concat([header, ...labels, Buffer.from([0, 0, 1, 0, 1])]) }; // A, IN
}

/** true: the server answered with at least one record; false: it answered without; undefined: no answer in time. */
function ask(server: string, name: string, timeoutMs: number): Promise<boolean | undefined> {
  return new Promise((resolve) => {
    const sock = createSocket('udp4');
    const { id, packet } = query(name);
    const done = (v: boolean | undefined): void => {
      clearTimeout(timer);
      sock.close();
      resolve(v);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    sock.on('error', () => done(undefined));
    sock.on('message', (msg) => {
      if (msg.length < 12 || msg.readUInt16BE(0) !== id) return;
      done((msg.readUInt16BE(2) & 0xf) === 0 && msg.readUInt16BE(6) > 0);
    });
    sock.send(packet, 53, server);
  });
}

/**
 * aardvark-dns 1.4 (Debian 12) restarts its server threads on every SIGHUP
 * and can wedge while doing so: queries then time out until the next SIGHUP
 * (containers/aardvark-dns#389, fixed upstream in 1.11 by #449). When our
 * probe times out twice running, we send that SIGHUP ourselves.
 */
function kickAardvark(configDir: string): void {
  try {
    const pid = Number(readFileSync(join(configDir, 'aardvark-dns', 'aardvark.pid'), 'utf8').trim());
    // never signal a recycled pid: it must still be aardvark-dns
    if (pid > 1 && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('aardvark-dns')) process.kill(pid, 'SIGHUP');
  } catch {
    /* not running */
  }
}

/** Waits (at most ~budget) until `server` resolves `name` (present) or stops resolving it (!present). */
export async function waitForName(server: string, name: string, present: boolean, configDir: string, budgetMs = 3000): Promise<boolean> {
  const end = Date.now() + budgetMs;
  let timeouts = 0;
  while (Date.now() < end) {
    // both the bare name and the search-domain form a container's resolver asks first
    const rs = await Promise.all([ask(server, name, 250), ask(server, `${name}.dns.podman`, 250)]);
    if (present ? rs.every((r) => r === true) : rs[1] === false) return true;
    if (rs.some((r) => r === undefined) && ++timeouts >= 2) {
      kickAardvark(configDir);
      timeouts = 0;
    }
    await new Promise((res) => setTimeout(res, 20));
  }
  return false;
}
