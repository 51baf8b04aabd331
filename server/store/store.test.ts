// The store tests that hold for both stores, run on each: SQLite on a temp file, PostgreSQL on a
// throw-away cluster (test/postgres.ts; skipped, saying why, where PostgreSQL is not installed).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { freshDatabase, postgresBinDir } from '../../test/postgres.ts';
import { openPostgresStore } from './postgres.ts';
import { openSqliteStore } from './sqlite.ts';
import type { Store } from './types.ts';

type Kind = 'sqlite' | 'postgres';
const NO_POSTGRES = postgresBinDir() === undefined ? 'PostgreSQL is not installed (no initdb): apt-get install postgresql' : false;

/** A fresh empty store of this kind, and how to open a second store on the same database (another process's view). */
async function freshStore(kind: Kind): Promise<{ store: Store; reopen: () => Promise<Store>; cleanup: () => void }> {
  if (kind === 'postgres') {
    const url = await freshDatabase();
    return { store: await openPostgresStore(url), reopen: () => openPostgresStore(url), cleanup: () => {} };
  }
  const dir = mkdtempSync(join(tmpdir(), 'gh-store-'));
  const file = join(dir, 'g.db');
  return { store: openSqliteStore(file), reopen: async () => openSqliteStore(file), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const opened: Store[] = [];
after(async () => {
  for (const s of opened.splice(0)) await s.close().catch(() => {});
});

for (const kind of ['sqlite', 'postgres'] as const) {
  const skip = kind === 'postgres' ? NO_POSTGRES : false;
  const withStore = (fn: (store: Store, reopen: () => Promise<Store>) => Promise<void>) => async () => {
    const { store, reopen, cleanup } = await freshStore(kind);
    try {
      await fn(store, async () => {
        const s = await reopen();
        opened.push(s);
        return s;
      });
    } finally {
      await store.close();
      cleanup();
    }
  };
  const test_ = (name: string, fn: () => Promise<void>) => test(name, { skip }, fn);

  test_(
    `${kind}: sync pages return the latest state once per entity, in seq order, with tombstones`,
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

  test_(
    `${kind}: a failed transaction rolls back everything, including the sequence, and wakes nobody`,
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

  test_(
    `${kind}: transactions are serialised: concurrent read-modify-write loses no update`,
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

  test_(
    `${kind}: the audit chain survives reopening and continues from the last hash`,
    withStore(async (store, reopen) => {
      await store.transact(async (tx) => {
        await tx.appendAudit({ at: '2026-01-01T00:00:00.000Z', actorId: 'a', type: 't', subject: 's', details: { x: 1 } });
      });
      const reopened = await reopen();
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

  test_(
    `${kind}: in one group commit, a failing mutation rolls back alone and the others commit`,
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

  test_(
    `${kind}: in one group commit, each mutation reads what the ones before it committed, never a failed one's writes, even when the last fails`,
    withStore(async (store) => {
      await store.transact(async (tx) => tx.put('team', { id: 'a', name: 'A' }));
      const seen: Record<string, unknown> = {};
      const results = await Promise.allSettled([
        store.transact(async (tx) => {
          seen.first = (await tx.list('team')).map((t) => t.id);
          seen.firstGet = (await tx.get('team', 'b'))?.name ?? null;
          await tx.put('team', { id: 'b', name: 'B' });
        }),
        store.transact(async (tx) => {
          seen.second = (await tx.list('team')).map((t) => t.id);
          seen.secondGet = (await tx.get('team', 'b'))?.name ?? null;
          await tx.put('team', { id: 'c', name: 'C' });
          await tx.put('team', { id: 'b', name: 'B2' });
          throw new Error('refused');
        }),
        store.transact(async (tx) => {
          seen.third = (await tx.list('team')).map((t) => t.id);
          seen.thirdGet = (await tx.get('team', 'b'))?.name ?? null;
        }),
        store.transact(async (tx) => {
          await tx.put('team', { id: 'd', name: 'D' });
          throw new Error('refused last');
        }),
      ]);
      assert.deepEqual(
        results.map((r) => r.status),
        ['fulfilled', 'rejected', 'fulfilled', 'rejected'],
      );
      assert.deepEqual(seen, { first: ['a'], firstGet: null, second: ['a', 'b'], secondGet: 'B', third: ['a', 'b'], thirdGet: 'B' });
      assert.deepEqual(
        (await store.list('team')).map((t) => [t.id, t.name]),
        [
          ['a', 'A'],
          ['b', 'B'],
        ],
      );
      assert.deepEqual(
        (await store.syncPage(0, 10)).changes.map((c) => [c.id, c.seq]),
        [
          ['a', 1],
          ['b', 2],
        ],
      );
    }),
  );

  test_(
    `${kind}: a mutation whose write the database refuses fails alone, with that error, in a group commit and alone`,
    withStore(async (store) => {
      const record = { fingerprint: 'f', status: 200, body: '{}', createdAt: '2026-01-01T00:00:00.000Z' };
      await store.transact(async (tx) => tx.saveIdempotent('u', 'taken', record));
      const results = await Promise.allSettled([
        store.transact(async (tx) => tx.put('team', { id: 'a', name: 'A' })),
        // The duplicate key is its last write: on PostgreSQL it travels with the mutation's end.
        store.transact(async (tx) => {
          await tx.put('team', { id: 'b', name: 'B' });
          await tx.saveIdempotent('u', 'taken', record);
        }),
        // Here it is followed by a read, which must not answer as if it had gone through.
        store.transact(async (tx) => {
          await tx.put('team', { id: 'c', name: 'C' });
          await tx.saveIdempotent('u', 'taken', record);
          await tx.get('team', 'c');
        }),
        store.transact(async (tx) => {
          await tx.put('team', { id: 'd', name: 'D' });
          return (await tx.get('team', 'd'))?.name;
        }),
      ]);
      assert.deepEqual(
        results.map((r) => r.status),
        ['fulfilled', 'rejected', 'rejected', 'fulfilled'],
      );
      for (const r of [results[1], results[2]]) assert.match(String((r as PromiseRejectedResult).reason), /unique|UNIQUE|duplicate/);
      assert.equal((results[3] as PromiseFulfilledResult<unknown>).value, 'D');
      await assert.rejects(
        store.transact(async (tx) => {
          await tx.put('team', { id: 'e', name: 'E' });
          await tx.saveIdempotent('u', 'taken', record);
        }),
        /unique|UNIQUE|duplicate/,
      );
      assert.deepEqual(
        (await store.list('team')).map((t) => t.id),
        ['a', 'd'],
      );
      assert.deepEqual(
        (await store.syncPage(0, 10)).changes.map((c) => [c.id, c.seq]),
        [
          ['a', 1],
          ['d', 2],
        ],
      );
      // And the store still works after them.
      await store.transact(async (tx) => tx.put('team', { id: 'f', name: 'F' }));
      assert.equal((await store.get('team', 'f'))?.name, 'F');
    }),
  );

  test_(
    `${kind}: awkward values are stored as given: quotes, backslashes, $1, unicode, bytes, nulls`,
    withStore(async (store) => {
      const names = ["O'Brien \\'; DROP TABLE entities; --", 'back\\slash \\x00 $1 $2 \\\\', 'ünïcødé 🚀 \u2028', "E'x'", ''];
      const hash = Buffer.from([0, 1, 2, 0x5c, 0x27, 0xff]);
      await store.transact(async (tx) => {
        await tx.put('user', { id: 'u1', name: names[0]!, email: "o'brien@example.com", orgRole: 'member', roles: [], teamIds: [] });
        for (const [i, name] of names.entries()) await tx.put('team', { id: `t${i}`, name });
        await tx.addToken({ id: 'tok', name: names[1]!, userId: 'u1', createdAt: '2026-01-01T00:00:00.000Z' }, hash);
        await tx.saveIdempotent('u1', "k'\\", {
          fingerprint: names[2]!,
          status: 201,
          body: JSON.stringify({ s: names[0] }),
          createdAt: '2026-01-01T00:00:00.000Z',
        });
      });
      assert.deepEqual(
        (await store.list('team')).map((t) => t.name),
        names,
      );
      const found = await store.tokenByHash(hash);
      assert.equal(found?.token.name, names[1]);
      assert.equal(found?.user.name, names[0]);
      assert.equal(await store.tokenByHash(Buffer.from([0, 1, 2])), undefined);
      assert.equal((await store.userByEmail("O'Brien@example.com"))?.id, 'u1');
      const rec = await store.idempotent('u1', "k'\\");
      assert.deepEqual([rec?.fingerprint, rec?.status, JSON.parse(rec!.body).s], [names[2], 201, names[0]]);
    }),
  );

  // SQLite is one process per file by design; PostgreSQL is shared, which this is about.
  if (kind === 'postgres')
    test_(
      `${kind}: two stores on one database (two processes): racing read-modify-writes lose no update, and a reader never skips a late commit`,
      withStore(async (a, reopen) => {
        const b = await reopen();
        await a.transact(async (tx) => tx.put('team', { id: 'counter', name: '0' }));
        const seen = new Set<string>();
        let cursor = await a.currentSeq();
        let done = false;
        const pull = async () => {
          const page = await b.syncPage(cursor, 1000);
          for (const c of page.changes) seen.add(c.id);
          cursor = page.cursor;
        };
        const reader = (async () => {
          while (!done) {
            await pull();
            await new Promise((r) => setImmediate(r));
          }
        })();
        await Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            (i % 2 ? a : b).transact(async (tx) => {
              // Each writes a row of its own, which nobody overwrites: a reader that skipped a
              // commit would never see that row.
              await tx.put('team', { id: `t${i}`, name: String(i) });
              const t = await tx.get('team', 'counter');
              await new Promise((r) => setTimeout(r, 1));
              await tx.put('team', { id: 'counter', name: String(Number(t!.name) + 1) });
            }),
          ),
        );
        done = true;
        await reader;
        await pull();
        assert.equal((await a.get('team', 'counter'))!.name, '40');
        for (let i = 0; i < 40; i++) assert.ok(seen.has(`t${i}`), `the reader saw t${i}`);
        assert.equal(cursor, await a.currentSeq());
      }),
    );
}
