import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AuditKeyError, openAuditKey, type AuditKey } from '../audit/checkpoint.ts';
import { AUDIT_KEY_FILE, DB_FILE } from '../constants.ts';
import { openSqliteStore, type SqliteStore } from '../store/sqlite.ts';
import { UsageError } from './args.ts';

export function dbPath(dir: string): string {
  return join(resolve(dir), DB_FILE);
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

/** For init/demo: the dir may exist, but must not hold a database yet. Makes the audit key (or uses the one there). */
export async function createStore(dir: string): Promise<{ store: SqliteStore; auditKey: AuditKey }> {
  const abs = resolve(dir);
  if (existsSync(abs) && !statSync(abs).isDirectory()) throw new UsageError(`--data ${dir} is not a directory`);
  mkdirSync(abs, { recursive: true });
  if (existsSync(dbPath(abs))) {
    const store = openSqliteStore(dbPath(abs));
    const initialized = await store.isInitialized();
    await store.close();
    if (initialized) throw new UsageError(`${abs} already holds a Gatehouse database; choose an empty directory`);
  }
  const { key: auditKey } = keyOrUsageError(() => openAuditKey(defaultAuditKeyPath(abs)));
  return { store: openSqliteStore(dbPath(abs), { auditKey }), auditKey };
}

/**
 * For serve: the database must exist already. The audit key is read from `keyFile`; a database
 * that has no checkpoints yet (older than signed checkpoints) gets a new key there, and `created`
 * says so. One that has checkpoints is refused without its key: a new key could not extend them.
 */
export async function openStore(dir: string, keyFile = defaultAuditKeyPath(dir)): Promise<{ store: SqliteStore; auditKey: AuditKey; created: boolean }> {
  if (!existsSync(dbPath(dir)))
    throw new UsageError(
      `no Gatehouse database in ${resolve(dir)}: run "gatehouse init --data ${dir} --owner-email …" or "gatehouse demo --data ${dir}" first`,
    );
  const probe = openSqliteStore(dbPath(dir));
  const initialized = await probe.isInitialized();
  const signed = await probe.lastCheckpoint();
  await probe.close();
  if (!initialized) throw new UsageError(`the database in ${resolve(dir)} has no users: run "gatehouse init" first`);
  if (!existsSync(keyFile) && signed) {
    throw new UsageError(
      `the audit signing key ${keyFile} is missing, and the database holds checkpoints signed with it (the last at seq ${signed.seq}): restore the key from its backup (or name it with --audit-key FILE). A new key could not extend the signed chain.`,
    );
  }
  const { key: auditKey, created } = keyOrUsageError(() => openAuditKey(keyFile));
  return { store: openSqliteStore(dbPath(dir), { auditKey }), auditKey, created };
}
