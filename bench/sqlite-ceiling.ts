// Figure 1: how many durable commits per second this disk allows at all. better-sqlite3 on a temp
// file with the server's settings (journal_mode=WAL, synchronous=FULL), one single-row INSERT per
// BEGIN IMMEDIATE … COMMIT, back to back. Every durable decision of the server is one such commit
// (and then some), so this is the ceiling the HTTP figure is compared with.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { round, type Benchmark } from './helpers.ts';
import { systemClock } from '../shared/clock.ts';

export const COMMIT_CEILING = 'sqlite.commit_ceiling';

/** Commits per second over about `seconds`, on a new database file at `file`. */
export function measureCommitCeiling(file: string, seconds: number): { commitsPerSec: number; commits: number } {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, at TEXT NOT NULL, data TEXT NOT NULL)');
    const insert = db.prepare('INSERT INTO t (at, data) VALUES (?, ?)');
    const begin = db.prepare('BEGIN IMMEDIATE');
    const commit = db.prepare('COMMIT');
    const data = 'x'.repeat(200);
    const one = () => {
      begin.run();
      insert.run(systemClock().toISOString(), data);
      commit.run();
    };
    for (let i = 0; i < 50; i++) one(); // warm-up: file growth, statement caches

    const start = performance.now();
    const end = start + seconds * 1000;
    let commits = 0;
    let now = start;
    while (now < end) {
      one();
      commits++;
      now = performance.now();
    }
    return { commitsPerSec: commits / ((now - start) / 1000), commits };
  } finally {
    db.close();
  }
}

export const sqliteCeiling: Benchmark = {
  name: 'sqlite-ceiling',
  async run(ctx) {
    ctx.log('WAL + synchronous=FULL, single-row INSERT transactions for ~3 s');
    const { commitsPerSec, commits } = measureCommitCeiling(join(ctx.dir, 'ceiling.db'), 3);
    ctx.log(`${commits} commits → ${Math.round(commitsPerSec)} commits/s`);
    return [{ name: COMMIT_CEILING, value: round(commitsPerSec, 0), unit: 'commits/s', goal: null }];
  },
};

export default sqliteCeiling;
