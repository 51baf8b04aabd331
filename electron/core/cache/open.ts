// Opening the cache file: sql.js loaded once per process, the file checked before sql.js sees it
// (seal, header, quick_check when unsealed, schema version), and an unusable file moved aside so
// the cache starts empty and the sync engine rebuilds it from the server.
import { readFileSync, renameSync, unlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import initSqlJs, { type Database, type SqlJsStatic } from 'sql.js';
import { tempPathOf } from '../atomic-write.ts';
import { corruptPathOf, headerProblem, unseal } from './file-format.ts';
import { applyPragmas, migrate } from './schema.ts';
import type { Clock } from '../../../shared/clock.ts';

const sqlJsByWasm = new Map<string, Promise<SqlJsStatic>>();

function defaultWasmPath(): string {
  return createRequire(import.meta.url).resolve('sql.js/dist/sql-wasm.wasm');
}

/** sql.js, initialised once per wasm file for the process (≈ 20 ms the first time). */
export function loadSqlJs(wasmPath = defaultWasmPath()): Promise<SqlJsStatic> {
  let p = sqlJsByWasm.get(wasmPath);
  if (!p) {
    const bin = readFileSync(wasmPath);
    const wasmBinary = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer;
    p = initSqlJs({ wasmBinary });
    p.catch(() => sqlJsByWasm.delete(wasmPath));
    sqlJsByWasm.set(wasmPath, p);
  }
  return p;
}

export interface OpenedDatabase {
  db: Database;
  /** Set when the file on disk was unusable: moved aside, and the database starts empty. */
  recovered?: { movedTo: string; reason: string };
}

/**
 * Opens (or creates) the database in `file`. An unusable file — unreadable, bad header, truncated,
 * "file is not a database", failing quick_check, or a newer schema than this build knows — is
 * renamed to `<file>.corrupt-<timestamp>` and an empty database is returned with `recovered` set.
 * A stray temp file (a crash mid-save) is removed.
 */
export async function openDatabase(file: string, wasmPath: string | undefined, clock: Clock): Promise<OpenedDatabase> {
  const SQL = await loadSqlJs(wasmPath);
  try {
    unlinkSync(tempPathOf(file));
  } catch {
    // none: the usual case
  }

  let bytes: Uint8Array | undefined;
  let problem: string | null = null;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code !== 'ENOENT') problem = `unreadable (${e.code ?? e.message})`;
  }

  let db: Database | undefined;
  if (bytes && !problem) {
    const sealed = unseal(bytes);
    if ('problem' in sealed) problem = sealed.problem;
    else problem = headerProblem(sealed.image);
    if (!problem && !('problem' in sealed)) {
      try {
        db = new SQL.Database(sealed.image);
        if (!sealed.verified) {
          const check = db.exec('PRAGMA quick_check(1)');
          const verdict = String(check[0]?.values[0]?.[0] ?? 'no answer');
          if (verdict !== 'ok') problem = `failed quick_check: ${verdict}`;
        }
        if (!problem) migrate(db);
      } catch (err) {
        problem = err instanceof Error ? err.message : String(err);
      }
      if (problem) {
        db?.close();
        db = undefined;
      }
    }
  }
  bytes = undefined; // sql.js copied it; let it go before building the cache

  let recovered: OpenedDatabase['recovered'];
  if (problem) {
    const movedTo = corruptPathOf(file, clock());
    renameSync(file, movedTo); // if even this fails, the error is the caller's to show
    recovered = { movedTo, reason: problem };
  }
  if (!db) {
    db = new SQL.Database();
    migrate(db);
  }
  applyPragmas(db);
  return recovered ? { db, recovered } : { db };
}
