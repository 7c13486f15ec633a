// htpasswd files with bcrypt hashes (`htpasswd -B` writes $2y$, which bcrypt
// treats as $2b$). bcrypt is slow on purpose, and clients such as skopeo send
// Basic credentials on every request, so verified pairs are remembered (as a
// salted hash of the password, never the password) until the file changes.
import bcrypt from 'bcryptjs';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { TugError } from '../../util/errors.js';

export class Htpasswd {
  private users = new Map<string, string>();
  private verified = new Map<string, Buffer>();
  private readonly salt = randomBytes(16);
  private mtimeMs = 0;

  constructor(private readonly path: string) {
    this.load();
  }

  private load(): void {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
      this.mtimeMs = statSync(this.path).mtimeMs;
    } catch (e) {
      throw new TugError('INVALID_ARGUMENT', `cannot read htpasswd file ${this.path}: ${(e as Error).message}`);
    }
    const users = new Map<string, string>();
    for (const [i, raw] of text.split('\n').entries()) {
      const line = raw.trim();
      if (!line || line.startsWith('#')) continue;
      const colon = line.indexOf(':');
      const hash = line.slice(colon + 1);
      if (colon <= 0 || !/^\$2[aby]\$\d\d\$/.test(hash)) {
        throw new TugError('INVALID_ARGUMENT', `${this.path}:${i + 1}: not a bcrypt htpasswd entry`, { hint: 'create entries with `htpasswd -B` (bcrypt); other hash types are refused' });
      }
      users.set(line.slice(0, colon), hash);
    }
    this.users = users;
    this.verified.clear();
  }

  /** Re-reads the file when it changed, so users can be added without a restart. */
  private refresh(): void {
    try {
      if (statSync(this.path).mtimeMs !== this.mtimeMs) this.load();
    } catch {
      // keep the last good copy if the file is briefly missing (editors replace files)
    }
  }

  async verify(user: string, password: string): Promise<boolean> {
    this.refresh();
    const hash = this.users.get(user);
    if (!hash) return false;
    const key = createHash('sha256').update(this.salt).update(user).update('\0').update(password).digest();
    const known = this.verified.get(user);
    if (known && timingSafeEqual(known, key)) return true;
    const ok = await bcrypt.compare(password, hash);
    if (ok) this.verified.set(user, key);
    return ok;
  }
}
