import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DB_FILE } from '../constants.ts';
import { openSqliteStore, type SqliteStore } from '../store/sqlite.ts';
import { UsageError } from './args.ts';

export function dbPath(dir: string): string {
  return join(resolve(dir), DB_FILE);
}

/** For init/demo: the dir may exist, but must not hold a database yet. */
export async function createStore(dir: string): Promise<SqliteStore> {
  const abs = resolve(dir);
  if (existsSync(abs) && !statSync(abs).isDirectory()) throw new UsageError(`--data ${dir} is not a directory`);
  mkdirSync(abs, { recursive: true });
  if (existsSync(dbPath(abs))) {
    const store = openSqliteStore(dbPath(abs));
    const initialized = await store.isInitialized();
    await store.close();
    if (initialized) throw new UsageError(`${abs} already holds a Gatehouse database; choose an empty directory`);
  }
  return openSqliteStore(dbPath(abs));
}

/** For serve: the database must exist already. */
export async function openStore(dir: string): Promise<SqliteStore> {
  if (!existsSync(dbPath(dir)))
    throw new UsageError(
      `no Gatehouse database in ${resolve(dir)}: run "gatehouse init --data ${dir} --owner-email …" or "gatehouse demo --data ${dir}" first`,
    );
  const store = openSqliteStore(dbPath(dir));
  if (!(await store.isInitialized())) {
    await store.close();
    throw new UsageError(`the database in ${resolve(dir)} has no users: run "gatehouse init" first`);
  }
  return store;
}
