// Diff texts live as files next to the cache (`<file>.diffs/<sha256(requestId)>.diff`), indexed by
// the `diffs` table. Keeping them out of the sql.js database keeps every save (a full export) and
// the wasm heap small: a 256 MiB diff budget inside the DB would make each coalesced save write
// 256 MiB. They are a cache: written tmp + rename without fsync; a file lost or short after a crash
// is detected by its length and treated as not cached.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';

export interface MissingDiff {
  id: string;
  digest: string;
  diffBytes: number;
}

export interface CachedDiff {
  digest: string;
  text: string;
}

export class DiffFiles {
  constructor(readonly dir: string) {}

  /** The file name for a request's diff (request ids may hold any character). */
  nameFor(requestId: string): string {
    return `${createHash('sha256').update(requestId).digest('hex').slice(0, 40)}.diff`;
  }

  /** Writes the text; returns its size in bytes. */
  write(name: string, text: string): number {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const buf = Buffer.from(text, 'utf8');
    const path = join(this.dir, name);
    const tmp = `${path}.tmp`;
    writeFileSync(tmp, buf, { mode: 0o600 });
    renameSync(tmp, path);
    return buf.byteLength;
  }

  /** The text if the file exists with exactly `bytes` bytes, else undefined. */
  read(name: string, bytes: number): string | undefined {
    let buf: Buffer;
    try {
      buf = readFileSync(join(this.dir, name));
    } catch {
      return undefined;
    }
    return buf.byteLength === bytes ? buf.toString('utf8') : undefined;
  }

  remove(name: string): void {
    try {
      unlinkSync(join(this.dir, name));
    } catch {
      // already gone
    }
  }

  /** The file names in the directory (none if it does not exist). */
  list(): string[] {
    try {
      return readdirSync(this.dir);
    } catch {
      return [];
    }
  }

  removeAll(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
