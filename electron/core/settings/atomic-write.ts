// Crash-safe file replacement (DESIGN.md §5): write a temp file in the same directory, fsync it,
// rename it over the target, fsync the directory. A reader sees the old file or the new one, never
// a half-written one; after a crash the rename is durable.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

export interface AtomicWriteOptions {
  /** File mode of the new file (e.g. 0o600 for secrets). Default 0o644 (less the umask). */
  mode?: number;
  /** Mode of the parent directory if it has to be created. Default 0o700. */
  dirMode?: number;
}

export async function writeFileAtomic(file: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const dir = path.dirname(file);
  await mkdir(dir, { recursive: true, mode: options.dirMode ?? 0o700 });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const mode = options.mode ?? 0o644;
  try {
    const handle = await open(tmp, 'wx', mode);
    try {
      await handle.writeFile(data);
      // open()'s mode is reduced by the umask, which only ever removes bits; chmod makes the
      // requested mode exact (and keeps a 0600 file 0600 whatever the umask).
      if (process.platform !== 'win32') await handle.chmod(mode);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => {});
    throw err;
  }
  await fsyncDir(dir);
}

/** Makes a rename or unlink in `dir` durable. Windows cannot open directories: nothing to do there. */
export async function fsyncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch (err) {
    // Some file systems refuse fsync on a directory; the rename has happened either way.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'ENOTSUP' && code !== 'EISDIR') throw err;
  } finally {
    await handle.close();
  }
}
