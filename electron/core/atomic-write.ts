// Crash-safe file replacement, the one way the desktop replaces a file it must not lose (settings,
// session, the cache file, the outbox's compacted journal, the token): write `<file>.tmp`, fsync
// it, rename it over `<file>`, fsync the directory. A reader sees the old file or the new one,
// never a half-written one; the file's fsync makes the new bytes durable before the rename can
// expose them, and the directory's fsync makes the rename itself survive a power cut. A failure at
// any step leaves the old file as it was and removes the temp file.
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The file operations of a replacement, injectable so tests can fail one (disk full, …). */
export interface AtomicWriteIo {
  /** Writes the chunks to `path` (created or truncated), one after the other, and fsyncs it. */
  writeAndSync(path: string, chunks: readonly Uint8Array[], mode?: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** fsyncs a directory so a rename in it survives a power cut (a no-op where unsupported). */
  syncDir(dir: string): Promise<void>;
  unlink(path: string): Promise<void>;
}

export interface AtomicWriteOptions {
  /** Mode of the new file, exact whatever the umask. Default 0o600: everything written is the user's alone. */
  mode?: number;
  /** Mode of the parent directory if it has to be created. Default 0o700. */
  dirMode?: number;
  io?: AtomicWriteIo;
}

const isWindows = process.platform === 'win32';

/**
 * Another process (an antivirus or indexer) holding the target open makes a rename over it fail
 * on Windows for a moment; elsewhere these codes mean a real problem.
 */
const WINDOWS_TRANSIENT = new Set(['EPERM', 'EACCES', 'EBUSY']);
const WINDOWS_RENAME_ATTEMPTS = 8;

export const nodeIo: AtomicWriteIo = {
  async writeAndSync(file, chunks, mode = 0o600) {
    const fh = await open(file, 'w', mode);
    try {
      for (const data of chunks) {
        let off = 0;
        while (off < data.byteLength) {
          const { bytesWritten } = await fh.write(data, off, data.byteLength - off);
          off += bytesWritten;
        }
      }
      // open()'s mode is reduced by the umask and ignored for an existing file; chmod makes it
      // exact (a 0600 file stays 0600 whatever the umask). Windows has no such modes.
      if (!isWindows) await fh.chmod(mode);
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
  async rename(from, to) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await rename(from, to);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? '';
        if (!isWindows || !WINDOWS_TRANSIENT.has(code) || attempt === WINDOWS_RENAME_ATTEMPTS) throw err;
        await sleep(10 * 2 ** attempt);
      }
    }
  },
  syncDir: fsyncDir,
  unlink: (file) => unlink(file),
};

/** The temp file a replacement of `file` writes; a stray one is what a crash mid-write leaves. */
export const tempPathOf = (file: string): string => `${file}.tmp`;

/** Replacements in flight, per file: one at a time, in call order, so they never share a temp file. */
const queues = new Map<string, Promise<void>>();

/** Replaces `file` with `data` (see the top of this file). Resolves once the new file is durable. */
export function writeFileAtomic(file: string, data: string | Uint8Array | readonly Uint8Array[], options: AtomicWriteOptions = {}): Promise<void> {
  const key = path.resolve(file);
  const run = (queues.get(key) ?? Promise.resolve()).then(() => replace(file, data, options));
  const settled = run.then(
    () => undefined,
    () => undefined,
  );
  queues.set(key, settled);
  void settled.then(() => {
    if (queues.get(key) === settled) queues.delete(key);
  });
  return run;
}

async function replace(file: string, data: string | Uint8Array | readonly Uint8Array[], options: AtomicWriteOptions): Promise<void> {
  const io = options.io ?? nodeIo;
  const dir = path.dirname(file);
  const chunks = typeof data === 'string' ? [Buffer.from(data, 'utf8')] : data instanceof Uint8Array ? [data] : data;
  await mkdir(dir, { recursive: true, mode: options.dirMode ?? 0o700 });
  const tmp = tempPathOf(file);
  try {
    await io.writeAndSync(tmp, chunks, options.mode ?? 0o600);
    await io.rename(tmp, file);
  } catch (err) {
    await io.unlink(tmp).catch(() => undefined);
    throw err;
  }
  await io.syncDir(dir);
}

/** Makes a rename or unlink in `dir` durable. Windows cannot open a directory: nothing to do there. */
export async function fsyncDir(dir: string): Promise<void> {
  if (isWindows) return;
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } catch (err) {
    // Some file systems refuse fsync on a directory; the rename has happened either way.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'ENOTSUP' && code !== 'EISDIR' && code !== 'EPERM' && code !== 'EBADF') throw err;
  } finally {
    await fh.close();
  }
}
