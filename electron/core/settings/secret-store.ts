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

/** What Electron's safeStorage says about itself (read in main, decided here). */
export interface SafeStorageStatus {
  platform: NodeJS.Platform;
  /** safeStorage.isEncryptionAvailable() */
  encryptionAvailable: boolean;
  /** safeStorage.getSelectedStorageBackend(), Linux only. */
  backend?: string | undefined;
}

/** Linux backends that keep the key in a real keyring. `basic_text` encrypts with a constant key. */
const LINUX_KEYRINGS: ReadonlySet<string> = new Set(['gnome_libsecret', 'kwallet', 'kwallet5', 'kwallet6']);

/**
 * Whether the token may be written to disk. Not when encryption is unavailable, and not on Linux
 * unless a real keyring backs safeStorage: with `basic_text` (no keyring running) or `unknown` the
 * "encrypted" file is as good as plain text to anyone who can read it.
 */
export function tokenPersistence(s: SafeStorageStatus): { persist: true } | { persist: false; reason: string } {
  if (!s.encryptionAvailable) return { persist: false, reason: 'this system offers no encrypted storage (safeStorage is unavailable)' };
  if (s.platform === 'linux' && !LINUX_KEYRINGS.has(s.backend ?? 'unknown')) {
    return {
      persist: false,
      reason: `no system keyring is available (safeStorage backend "${s.backend ?? 'unknown'}" would store it effectively in plain text)`,
    };
  }
  return { persist: true };
}

/** The token for this run only: never written anywhere. */
export class MemorySecretStore implements SecretStore {
  #token: string | undefined;
  async get(): Promise<string | undefined> {
    return this.#token;
  }
  async set(token: string | undefined): Promise<void> {
    this.#token = token;
  }
}

/**
 * The secret store to use: `persistent` when the system can keep the token safely, else one in
 * memory, with any token an earlier run left on disk removed, and the notice the console shows
 * (the user signs in at each launch and should know why).
 */
export async function chooseSecretStore(status: SafeStorageStatus, persistent: SecretStore): Promise<{ secrets: SecretStore; notice?: string }> {
  const decision = tokenPersistence(status);
  if (decision.persist) return { secrets: persistent };
  await persistent.set(undefined);
  return {
    secrets: new MemorySecretStore(),
    notice: `Your API token is kept in memory only and you will need to sign in at each launch: ${decision.reason}. Start a keyring (GNOME Keyring, KWallet) to have it remembered.`,
  };
}
