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

test('6 gives pending requests filed before it the due time of their first escalation that has not fired', () => {
  const db = new Database(':memory:');
  const { 6: six, ...before } = MIGRATIONS;
  assert.ok(six);
  migrate(db, before);
  const gate = (afterMinutes: number, escalatedAt?: string) => ({
    id: `g${afterMinutes}`,
    escalation: { afterMinutes },
    ...(escalatedAt ? { escalatedAt } : {}),
  });
  const requests = [
    { id: 'req_a', status: 'pending', gates: [gate(90), gate(30), gate(5, '2026-03-09T10:05:00.000Z')] },
    { id: 'req_b', status: 'pending', gates: [{ id: 'plain' }] },
    { id: 'req_c', status: 'approved', gates: [gate(30)] },
  ];
  requests.forEach((r, i) => {
    db.prepare('INSERT INTO entities (entity, id, data, seq, n) VALUES (?, ?, ?, ?, ?)').run(
      'request',
      r.id,
      JSON.stringify({ ...r, createdAt: '2026-03-09T10:00:00.000Z' }),
      i + 1,
      i + 1,
    );
    db.prepare('INSERT INTO requests (id, status, action, expires_at) VALUES (?, ?, ?, ?)').run(r.id, r.status, 'release.deploy', '2026-03-16T10:00:00.000Z');
  });
  migrate(db);
  const due = db.prepare('SELECT id, escalate_at FROM requests ORDER BY id').all();
  assert.deepEqual(due, [
    { id: 'req_a', escalate_at: '2026-03-09T10:30:00.000Z' },
    { id: 'req_b', escalate_at: null },
    { id: 'req_c', escalate_at: null },
  ]);
  db.close();
});
