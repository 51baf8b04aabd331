// Never-torn persistence of the cache file: write `<file>.tmp`, fsync it, rename it over `<file>`,
// fsync the directory. A failure at any step leaves the old file as it was. Plus the checks that
// decide whether a file on disk is a usable SQLite database before sql.js sees it.
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** The file operations of a save, injectable so tests can fail one (disk full, …). */
export interface PersistIo {
  /** Writes `data` to `path` (created or truncated) and fsyncs it. */
  writeAndSync(path: string, data: Uint8Array): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** fsyncs a directory so a rename in it survives a power cut (a no-op where unsupported). */
  syncDir(dir: string): Promise<void>;
  unlink(path: string): Promise<void>;
}

export const nodeIo: PersistIo = {
  async writeAndSync(path, data) {
    const fh = await open(path, 'w', 0o600);
    try {
      let off = 0;
      while (off < data.byteLength) {
        const { bytesWritten } = await fh.write(data, off, data.byteLength - off);
        off += bytesWritten;
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
  rename: (from, to) => rename(from, to),
  async syncDir(dir) {
    let fh;
    try {
      fh = await open(dir, 'r');
      await fh.sync();
    } catch (err) {
      // Windows cannot open or fsync a directory; the rename is as durable as it gets there.
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF') throw err;
    } finally {
      await fh?.close();
    }
  },
  unlink: (path) => unlink(path),
};

export const tmpPathOf = (file: string) => `${file}.tmp`;

/** tmp → fsync → rename → fsync dir. On failure the tmp file is removed (best effort) and the error thrown. */
export async function atomicWrite(file: string, data: Uint8Array, io: PersistIo = nodeIo): Promise<void> {
  const tmp = tmpPathOf(file);
  try {
    await io.writeAndSync(tmp, data);
    await io.rename(tmp, file);
  } catch (err) {
    await io.unlink(tmp).catch(() => undefined);
    throw err;
  }
  await io.syncDir(dirname(file));
}

/** The synchronous variant, for small files written from synchronous code paths. */
export function atomicWriteSync(file: string, data: Uint8Array | string, fsync: boolean): void {
  const tmp = tmpPathOf(file);
  const fd = openSync(tmp, 'w', 0o600);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < buf.byteLength) off += writeSync(fd, buf, off, buf.byteLength - off);
    if (fsync) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

const MAGIC = 'SQLite format 3\0';

/**
 * Why `bytes` cannot be a healthy SQLite file, or null if the header looks right: wrong magic,
 * an impossible page size, or fewer bytes than the header says the database has (truncated).
 */
export function headerProblem(bytes: Uint8Array): string | null {
  if (bytes.byteLength === 0) return 'empty file';
  if (bytes.byteLength < 100) return `truncated (${bytes.byteLength} bytes, shorter than a SQLite header)`;
  const magic = Buffer.from(bytes.buffer, bytes.byteOffset, 16).toString('latin1');
  if (magic !== MAGIC) return 'bad header (not a SQLite database)';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const raw = view.getUint16(16);
  const pageSize = raw === 1 ? 65536 : raw;
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) return `bad header (page size ${raw})`;
  if (bytes.byteLength % pageSize !== 0) return `truncated (${bytes.byteLength} bytes is not a whole number of ${pageSize}-byte pages)`;
  const changeCounter = view.getUint32(24);
  const pages = view.getUint32(28);
  const validFor = view.getUint32(92);
  if (pages > 0 && changeCounter === validFor && bytes.byteLength < pages * pageSize) {
    return `truncated (${bytes.byteLength} bytes, the header says ${pages * pageSize})`;
  }
  return null;
}

/** Renames a bad cache file aside to `<file>.corrupt-<timestamp>`; returns the new path. */
export function corruptPathOf(file: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  return join(dirname(file), `${basename(file)}.corrupt-${stamp}`);
}
