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
  'sync pages return the latest state once per entity, in seq order, with tombstones',
  withStore(async (store) => {
    await store.transact(async (tx) => {
      await tx.put('team', { id: 't1', name: 'SRE' });
      await tx.put('team', { id: 't2', name: 'Security' });
      await tx.put('project', { id: 'p1', name: 'checkout' });
    });
    await store.transact(async (tx) => {
      await tx.put('team', { id: 't1', name: 'SRE team' });
      await tx.remove('team', 't2');
    });
    const all = await store.syncPage(0, 100);
    assert.deepEqual(
      all.changes.map((c) => [c.entity, c.id, c.op]),
      [
        ['project', 'p1', 'upsert'],
        ['team', 't1', 'upsert'],
        ['team', 't2', 'delete'],
      ],
    );
    assert.deepEqual(all.changes[1]!.data, { id: 't1', name: 'SRE team' });
    assert.equal(all.hasMore, false);
    assert.equal(all.cursor, await store.currentSeq());

    const first = await store.syncPage(0, 2);
    assert.equal(first.hasMore, true);
    const rest = await store.syncPage(first.cursor, 2);
    assert.deepEqual(
      [...first.changes, ...rest.changes].map((c) => c.id),
      ['p1', 't1', 't2'],
    );
    assert.equal(rest.hasMore, false);
    assert.equal(await store.get('team', 't2'), undefined);
    assert.deepEqual(
      (await store.list('team')).map((t) => t.id),
      ['t1'],
    );
  }),
);

test(
  'a failed transaction rolls back everything, including the sequence, and wakes nobody',
  withStore(async (store) => {
    const woken: number[] = [];
    store.onCommit((c) => woken.push(c));
    await store.transact(async (tx) => tx.put('team', { id: 't1', name: 'A' }));
    const before = await store.currentSeq();
    await assert.rejects(
      store.transact(async (tx) => {
        await tx.put('team', { id: 't2', name: 'B' });
        await tx.appendAudit({ at: '2026-03-09T10:00:00.000Z', actorId: 'x', type: 't', subject: 's', details: {} });
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(await store.currentSeq(), before);
    assert.equal(await store.get('team', 't2'), undefined);
    assert.deepEqual(await store.auditPage(0, 10), []);
    assert.deepEqual(woken, [before]);
    // The store is usable after a rollback.
    await store.transact(async (tx) => tx.put('team', { id: 't3', name: 'C' }));
    assert.equal(await store.currentSeq(), before + 1);
  }),
);

test(
  'transactions are serialised: concurrent read-modify-write loses no update',
  withStore(async (store) => {
    await store.transact(async (tx) => tx.put('team', { id: 'counter', name: '0' }));
    await Promise.all(
      Array.from({ length: 50 }, () =>
        store.transact(async (tx) => {
          const t = await tx.get('team', 'counter');
          await new Promise((r) => setImmediate(r));
          await tx.put('team', { id: 'counter', name: String(Number(t!.name) + 1) });
        }),
      ),
    );
    assert.equal((await store.get('team', 'counter'))!.name, '50');
  }),
);

test(
  'mutations outside transact are refused',
  withStore(async (store) => {
    await assert.rejects(store.put('team', { id: 'x', name: 'y' }), /outside transact/);
  }),
);

test(
  'the audit chain survives reopening and continues from the last hash',
  withStore(async (store, file) => {
    await store.transact(async (tx) => {
      await tx.appendAudit({ at: '2026-01-01T00:00:00.000Z', actorId: 'a', type: 't', subject: 's', details: { x: 1 } });
    });
    const reopened = openSqliteStore(file);
    try {
      const e2 = await reopened.transact((tx) =>
        tx.appendAudit({ at: '2026-01-02T00:00:00.000Z', actorId: 'a', type: 't', subject: 's', details: {}, breakGlassSessionId: 'bg_1' }),
      );
      const [e1] = await reopened.auditPage(0, 1);
      assert.equal(e2.seq, 2);
      assert.equal(e2.prevHash, e1!.hash);
      assert.equal(e2.breakGlass, true);
    } finally {
      await reopened.close();
    }
  }),
);

test(
  'in one group commit, a failing mutation rolls back alone and the others commit',
  withStore(async (store) => {
    const results = await Promise.allSettled([
      store.transact(async (tx) => tx.put('team', { id: 'a', name: 'A' })),
      store.transact(async (tx) => {
        await tx.put('team', { id: 'b', name: 'B' });
        throw new Error('refused');
      }),
      store.transact(async (tx) => tx.put('team', { id: 'c', name: 'C' })),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.deepEqual(
      (await store.list('team')).map((t) => t.id),
      ['a', 'c'],
    );
    const sync = await store.syncPage(0, 10);
    assert.deepEqual(
      sync.changes.map((c) => [c.id, c.seq]),
      [
        ['a', 1],
        ['c', 2],
      ],
    );
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
