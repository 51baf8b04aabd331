import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { hashToken } from '../domain/ids.ts';
import { MIGRATIONS, migrate } from './migrations.ts';
import { listRequestsQuery, openSqliteStore } from './sqlite.ts';
import type { RequestFilter } from './types.ts';

function withStore(fn: (store: ReturnType<typeof openSqliteStore>, file: string) => Promise<void>) {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-store-'));
    const file = join(dir, 'g.db');
    const store = openSqliteStore(file);
    try {
      await fn(store, file);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

test(
  'mutations outside transact are refused',
  withStore(async (store) => {
    await assert.rejects(store.put('team', { id: 'x', name: 'y' }), /outside transact/);
  }),
);

test('migration 4: tokens made before it keep working, named "initial"; users become active; stored secrets are dropped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-store-'));
  const file = join(dir, 'g.db');
  try {
    const old = new Database(file);
    migrate(old, { 1: MIGRATIONS[1]!, 2: MIGRATIONS[2]!, 3: MIGRATIONS[3]! });
    const user = { id: 'usr_1', name: 'Olga', email: 'olga@example.com', orgRole: 'owner', roles: [], teamIds: [] };
    old.prepare('INSERT INTO entities (entity, id, data, seq, deleted, n) VALUES (?, ?, ?, 1, 0, 1)').run('user', user.id, JSON.stringify(user));
    old.prepare('INSERT INTO tokens (hash, user_id, created_at) VALUES (?, ?, ?)').run(hashToken('ghs_old'), user.id, '2026-01-01T00:00:00.000Z');
    const insertKey = old.prepare('INSERT INTO idempotency (user_id, key, fingerprint, status, body, created_at) VALUES (?, ?, ?, 201, ?, ?)');
    insertKey.run(user.id, 'k1', 'f', JSON.stringify({ user, token: 'ghs_secret' }), '2026-01-01T00:00:00.000Z');
    insertKey.run(user.id, 'k2', 'f', JSON.stringify({ team: { id: 't', name: 'SRE' } }), '2026-01-01T00:00:00.000Z');
    old.close();

    const store = openSqliteStore(file);
    try {
      const found = await store.tokenByHash(hashToken('ghs_old'));
      assert.ok(found);
      assert.equal(found.token.name, 'initial');
      assert.match(found.token.id, /^tok_/);
      assert.equal(found.user.active, true);
      assert.equal(await store.idempotent(user.id, 'k1'), undefined, 'the record holding a secret is gone');
      assert.ok(await store.idempotent(user.id, 'k2'), 'other records stay');
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every inbox filter, alone or with a status, with or without a cursor, reads an index newest first: no sort, no walk over every request', () => {
  const db = new Database(':memory:');
  migrate(db);
  const others: Partial<RequestFilter>[] = [{}, { environmentId: 'env_1' }, { projectId: 'prj_1' }, { action: 'release.deploy' }];
  for (const status of [undefined, 'pending'] as const)
    for (const other of others)
      for (const cursor of [undefined, '500']) {
        const filter: RequestFilter = { limit: 100, ...other, ...(status ? { status } : {}), ...(cursor ? { cursor } : {}) };
        const { sql, params } = listRequestsQuery(filter);
        const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail);
        const what = `${JSON.stringify(filter)}: ${plan.join(' | ')}`;
        assert.ok(!plan.some((d) => d.includes('TEMP B-TREE')), `sorts: ${what}`);
        assert.match(plan[0]!, /^(SCAN|SEARCH) r\b/, `requests is not the outer loop: ${what}`);
        // A status with another filter uses the index on both, not one of them plus a filter.
        if (status && Object.keys(other).length > 0) assert.match(plan[0]!, /requests_status_(env|project|action) \(status=\? AND /, what);
      }
  db.close();
});
