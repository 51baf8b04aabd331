// The cache's one door to sql.js: prepared statements kept by their text (preparing through wasm
// costs more than most queries), and the small meta key/value table.
import type { Database, SqlValue, Statement } from 'sql.js';

export type Param = string | number | null | Uint8Array;

const MAX_CACHED_STATEMENTS = 200;
/** Separates values in group_concat results (see concatColumns). */
export const SEP = '\x1e';

export class Sql {
  readonly #stmts = new Map<string, Statement>();

  constructor(readonly db: Database) {}

  exec(sql: string): void {
    this.db.exec(sql);
  }

  run(sql: string, params: Param[]): void {
    const s = this.#stmt(sql);
    try {
      s.run(params);
    } finally {
      s.reset();
    }
  }

  all(sql: string, params: Param[] = []): SqlValue[][] {
    const s = this.#stmt(sql);
    const out: SqlValue[][] = [];
    try {
      s.bind(params);
      while (s.step()) out.push(s.get());
    } finally {
      s.reset();
    }
    return out;
  }

  first(sql: string, params: Param[]): SqlValue[] | undefined {
    const s = this.#stmt(sql);
    try {
      s.bind(params);
      return s.step() ? s.get() : undefined;
    } finally {
      s.reset();
    }
  }

  /** Steps through rows until `each` returns false (for scans that stop early). */
  each(sql: string, params: Param[], each: (row: SqlValue[]) => boolean): void {
    const s = this.#stmt(sql);
    try {
      s.bind(params);
      while (s.step() && each(s.get()));
    } finally {
      s.reset();
    }
  }

  meta(key: string): string | undefined {
    const row = this.first('SELECT value FROM meta WHERE key = ?', [key]);
    return row ? String(row[0]) : undefined;
  }

  setMeta(key: string, value: string): void {
    this.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
  }

  /**
   * Each column of a table (rowid order) as an array, or undefined if a value holds the separator.
   * One string per column out of wasm is much faster than a step()/get() per row.
   */
  concatColumns(table: string, cols: string[]): string[][] | undefined {
    const res = this.db.exec(`SELECT count(*), ${cols.map((c) => `group_concat(${c}, char(30))`).join(', ')} FROM (SELECT * FROM ${table} ORDER BY rowid)`);
    const row = res[0]?.values[0] ?? [0];
    const n = Number(row[0]);
    if (n === 0) return cols.map(() => []);
    const out = row.slice(1).map((v) => String(v).split(SEP));
    return out.length === cols.length && out.every((c) => c.length === n) ? out : undefined;
  }

  /** Frees every prepared statement (sql.js may free them itself in export()). */
  freeStatements(): void {
    for (const s of this.#stmts.values()) {
      try {
        s.free();
      } catch {
        // already freed by sql.js
      }
    }
    this.#stmts.clear();
  }

  #stmt(sql: string): Statement {
    let s = this.#stmts.get(sql);
    if (!s) {
      if (this.#stmts.size >= MAX_CACHED_STATEMENTS) this.freeStatements();
      s = this.db.prepare(sql);
      this.#stmts.set(sql, s);
    }
    return s;
  }
}
