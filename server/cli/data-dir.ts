import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AuditKeyError, openAuditKey, type AuditKey } from '../audit/checkpoint.ts';
import { AUDIT_KEY_FILE, DB_FILE } from '../constants.ts';
import { openPostgresStore } from '../store/postgres.ts';
import { openSqliteStore } from '../store/sqlite.ts';
import type { Store } from '../store/types.ts';
import { UsageError } from './args.ts';

/** The environment variable that selects a PostgreSQL database, as --database does. */
export const DATABASE_ENV = 'GATEHOUSE_DATABASE_URL';

export const DATABASE_USAGE = `--database postgres://USER[:PASSWORD]@HOST[:PORT]/DB (or ${DATABASE_ENV}) keeps the data in that
PostgreSQL database instead of DIR's SQLite file, so several serve processes can share it; DIR
still holds the audit signing key (unless --audit-key).`;

/** The URL without its password, for messages. */
function shown(url: URL): string {
  const copy = new URL(url.href);
  if (copy.password) copy.password = '***';
  return copy.href;
}

/**
 * --database, else GATEHOUSE_DATABASE_URL: a postgres:// (or postgresql://) URL naming a host
 * and a database; undefined: the SQLite file in the data dir. A malformed URL is a usage error
 * before anything is created.
 */
export function databaseOption(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const from = flag !== undefined ? '--database' : DATABASE_ENV;
  const text = flag ?? env[DATABASE_ENV];
  if (text === undefined || (flag === undefined && text.trim() === '')) return undefined;
  const url = URL.canParse(text) ? new URL(text) : undefined;
  if (!url || !['postgres:', 'postgresql:'].includes(url.protocol) || (!url.hostname && !url.searchParams.get('host')) || url.pathname.length < 2) {
    throw new UsageError(`${from} must be a PostgreSQL URL like postgres://USER@HOST:PORT/DB, got "${text.replace(/:[^:@/]*@/, ':***@')}"`);
  }
  return text;
}

/** Connects (and migrates); an unreachable database or a refused login is a usage error. */
async function connectPostgres(url: string, auditKey?: AuditKey): Promise<Store> {
  try {
    return await openPostgresStore(url, auditKey ? { auditKey } : {});
  } catch (err) {
    throw new UsageError(`cannot use the database ${shown(new URL(url))}: ${(err as Error).message}`);
  }
}

export function dbPath(dir: string): string {
  return join(resolve(dir), DB_FILE);
}

const DIR_MODE = 0o700;
const FILE_MODE = 0o600;
const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`;

/** Gatehouse's own files in a data directory: the database, its -wal/-shm/-journal, and keys. */
const isOwnFile = (name: string) => name.startsWith(DB_FILE) || /key/i.test(name) || name.endsWith('.pem');

/**
 * The data directory holds every user's name and email, the audit log and the server's keys: it
 * is 0700 and Gatehouse's files in it 0600 (the database, its -wal and -shm, keys). Creates the
 * directory so; on an existing one, tightens whatever is looser and says so through `warn`.
 * SQLite creates -wal and -shm with the database file's mode, so a 0600 database keeps them 0600.
 * An existing directory is chmod'ed only when it is empty or already holds a database or the audit
 * key (all a PostgreSQL store's data dir holds), never, say, a home directory or /tmp handed to
 * `init --data`: otherwise the warning says what to run.
 * Other people's files in it are left alone. No-op on Windows (no POSIX modes).
 */
export function secureDataDir(dir: string, warn: (message: string) => void = (m) => console.error(`warning: ${m}`)): void {
  const abs = resolve(dir);
  mkdirSync(abs, { recursive: true, mode: DIR_MODE });
  if (process.platform === 'win32') return;
  const entries = readdirSync(abs, { withFileTypes: true });
  const stat = statSync(abs);
  const dirMode = stat.mode & 0o777;
  if ((dirMode & ~DIR_MODE) !== 0) {
    const ours = entries.length === 0 || entries.some((e) => e.name === DB_FILE || e.name === AUDIT_KEY_FILE);
    const sticky = (stat.mode & 0o1000) !== 0;
    if (ours && !sticky) {
      chmodSync(abs, DIR_MODE);
      warn(`data directory ${abs} was mode ${octal(dirMode)}; set to ${octal(DIR_MODE)}`);
    } else warn(`data directory ${abs} is mode ${octal(dirMode)}: other users can list it; use a directory of its own, mode 0700`);
  }
  for (const entry of entries) {
    if (!entry.isFile() || !isOwnFile(entry.name)) continue;
    const file = join(abs, entry.name);
    const mode = statSync(file).mode & 0o777;
    if ((mode & ~FILE_MODE) === 0) continue;
    chmodSync(file, FILE_MODE);
    warn(`${file} was mode ${octal(mode)}; set to ${octal(FILE_MODE)}`);
  }
}

/** Creates an empty file with mode 0600 (whatever the umask) unless it exists, so SQLite opens it. */
export function createPrivateFile(file: string): void {
  if (existsSync(file)) return;
  closeSync(openSync(file, 'a', FILE_MODE));
  if (process.platform !== 'win32') chmodSync(file, FILE_MODE);
}

export function defaultAuditKeyPath(dir: string): string {
  return join(resolve(dir), AUDIT_KEY_FILE);
}

function keyOrUsageError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof AuditKeyError) throw new UsageError(err.message);
    throw err;
  }
}

/** For init/demo: the dir may exist, but must not hold a database yet (nor may the PostgreSQL database `database`). Makes the audit key (or uses the one there). */
export async function createStore(dir: string, database?: string): Promise<{ store: Store; auditKey: AuditKey }> {
  const abs = resolve(dir);
  if (existsSync(abs) && !statSync(abs).isDirectory()) throw new UsageError(`--data ${dir} is not a directory`);
  if (database !== undefined) {
    // Reached before anything is made: an unreachable database leaves no data dir or key behind.
    const probe = await connectPostgres(database);
    const initialized = await probe.isInitialized();
    await probe.close();
    if (initialized) throw new UsageError(`the PostgreSQL database ${shown(new URL(database))} already holds a Gatehouse database; choose an empty one`);
    secureDataDir(abs);
    const { key: auditKey } = keyOrUsageError(() => openAuditKey(defaultAuditKeyPath(abs)));
    return { store: await connectPostgres(database, auditKey), auditKey };
  }
  secureDataDir(abs);
  if (existsSync(dbPath(abs))) {
    const store = openSqliteStore(dbPath(abs));
    const initialized = await store.isInitialized();
    await store.close();
    if (initialized) throw new UsageError(`${abs} already holds a Gatehouse database; choose an empty directory`);
  }
  const { key: auditKey } = keyOrUsageError(() => openAuditKey(defaultAuditKeyPath(abs)));
  createPrivateFile(dbPath(abs));
  return { store: openSqliteStore(dbPath(abs), { auditKey }), auditKey };
}

/**
 * For serve: the database must exist already (DIR's SQLite file, or the PostgreSQL `database`).
 * The audit key is read from `keyFile`; a database that has no checkpoints yet (older than signed
 * checkpoints) gets a new key there, and `created` says so. One that has checkpoints is refused
 * without its key: a new key could not extend them.
 */
export async function openStore(
  dir: string,
  keyFile = defaultAuditKeyPath(dir),
  database?: string,
): Promise<{ store: Store; auditKey: AuditKey; created: boolean }> {
  let probe: Store;
  let where: string;
  if (database !== undefined) {
    probe = await connectPostgres(database);
    where = `the database ${shown(new URL(database))}`;
  } else {
    if (!existsSync(dbPath(dir)))
      throw new UsageError(
        `no Gatehouse database in ${resolve(dir)}: run "gatehouse init --data ${dir} --owner-email …" or "gatehouse demo --data ${dir}" first`,
      );
    secureDataDir(dir);
    probe = openSqliteStore(dbPath(dir));
    where = `the database in ${resolve(dir)}`;
  }
  const initialized = await probe.isInitialized();
  const signed = await probe.lastCheckpoint();
  await probe.close();
  if (!initialized) throw new UsageError(`${where} has no users: run "gatehouse init" first`);
  if (database !== undefined) secureDataDir(dir);
  if (!existsSync(keyFile) && signed) {
    throw new UsageError(
      `the audit signing key ${keyFile} is missing, and the database holds checkpoints signed with it (the last at seq ${signed.seq}): restore the key from its backup (or name it with --audit-key FILE). A new key could not extend the signed chain.`,
    );
  }
  const { key: auditKey, created } = keyOrUsageError(() => openAuditKey(keyFile));
  const store = database !== undefined ? await connectPostgres(database, auditKey) : openSqliteStore(dbPath(dir), { auditKey });
  return { store, auditKey, created };
}
