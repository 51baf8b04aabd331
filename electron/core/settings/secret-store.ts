// The API token in web mode: a file only its owner can read (0600), replaced atomically. The
// desktop app uses Electron's safeStorage instead (written in main, same SecretStore interface).
import { chmod, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { SecretStore } from '../contracts.ts';
import { fsyncDir, writeFileAtomic } from '../atomic-write.ts';

/** What the server accepts after "Bearer " (1–512 non-space characters). */
const TOKEN = /^\S{1,512}$/;

export class FileSecretStore implements SecretStore {
  readonly file: string;
  constructor(file: string) {
    this.file = file;
  }

  /** The token, or undefined when none is stored. A file others could read is narrowed to 0600. */
  async get(): Promise<string | undefined> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    if (process.platform !== 'win32' && ((await stat(this.file)).mode & 0o077) !== 0) await chmod(this.file, 0o600);
    const token = text.trim();
    return token === '' ? undefined : token;
  }

  /** Stores the token (0600, atomic), or removes the file when `token` is undefined (sign-out). */
  async set(token: string | undefined): Promise<void> {
    if (token === undefined) {
      await rm(this.file, { force: true });
      await fsyncDir(path.dirname(this.file)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
      return;
    }
    if (!TOKEN.test(token)) throw new Error('invalid API token: expected 1 to 512 characters without spaces');
    await writeFileAtomic(this.file, `${token}\n`, { mode: 0o600, dirMode: 0o700 });
  }
}
