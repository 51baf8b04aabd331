import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { MIGRATIONS, SCHEMA_VERSION, migrate } from './migrations.ts';

const applied = (db: Database.Database) =>
  (db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[]).map((r) => r.version);
const tables = (db: Database.Database) =>
  (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);

test('a fresh database gets every migration, recorded by number; user_version is the highest', () => {
  const db = new Database(':memory:');
  migrate(db);
  assert.deepEqual(
    applied(db),
    Object.keys(MIGRATIONS)
      .map(Number)
      .sort((a, b) => a - b),
  );
  assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  assert.ok(tables(db).includes('audit_checkpoints'));
  migrate(db); // idempotent
  db.close();
});

test('a database from before the table (user_version 3) records 1–3 and gets the rest', () => {
  const db = new Database(':memory:');
  migrate(db, { 1: MIGRATIONS[1]!, 2: MIGRATIONS[2]!, 3: MIGRATIONS[3]! });
  db.exec('DROP TABLE schema_migrations');
  assert.equal(db.pragma('user_version', { simple: true }), 3);
  migrate(db);
  assert.ok(applied(db).includes(1) && applied(db).includes(3) && applied(db).includes(5));
  assert.ok(tables(db).includes('audit_checkpoints'));
  db.close();
});

test('numbers from parallel branches merge in any order: a database that got 5 first gets 4 on its next start', () => {
  // As it happened: the audit branch's 5 shipped before the tokens branch's 4 existed.
  const db = new Database(':memory:');
  const { 4: four, ...withoutFour } = MIGRATIONS;
  migrate(db, withoutFour);
  assert.ok(!applied(db).includes(4));
  assert.ok(four);
  migrate(db);
  assert.ok(applied(db).includes(4));
  assert.ok(tables(db).includes('audit_checkpoints'));
  assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  db.close();
});

test('a migration this build does not know (a newer Gatehouse was here) is refused', () => {
  const db = new Database(':memory:');
  migrate(db, { ...MIGRATIONS, 99: 'SELECT 1' });
  assert.throws(() => migrate(db), /migration 99, which this Gatehouse .* does not know; upgrade Gatehouse/);
  db.close();
});
