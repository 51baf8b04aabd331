import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { ApprovalRequest, SyncChange } from '../../../shared/schemas/index.ts';
import { ACTION_GROUP } from '../../../shared/inbox.ts';
import { NO_RISK } from '../../../shared/diff/risk-facts.ts';
import { Cache, loadSqlJs, type CacheOptions } from './index.ts';
import { makeOrg, makeRequest, requestPages, tombstone, upsert, type Org } from './fixtures.ts';
import { SEAL_BYTES, sealOf } from './file-format.ts';
import { nodeIo, type AtomicWriteIo as PersistIo } from '../atomic-write.ts';

let dir: string;
let file: string;
const open: Cache[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(os.tmpdir(), 'gatehouse-cache-test-'));
  file = join(dir, 'cache.sqlite');
});
afterEach(async () => {
  for (const c of open.splice(0)) await c.close().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

async function openCache(extra: Partial<CacheOptions> = {}) {
  const r = await Cache.open({ file, saveDelayMs: 20, ...extra });
  open.push(r.cache);
  return r;
}

async function closeCache(c: Cache) {
  await c.close();
  open.splice(open.indexOf(c), 1);
}

/** Polls until `cond` holds (timers under a loaded machine are late, never early). */
async function until(cond: () => boolean, what: string, ms = 5000) {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function seeded(c: Cache, org: Org, requests: ApprovalRequest[], cursor = 100) {
  c.applyChanges([...org.changes, ...requests.map((r) => upsert('request', r))], cursor);
}

describe('applyChanges', () => {
  test('upserts every entity, applies tombstones, records the cursor', async () => {
    const { cache } = await openCache();
    const org = makeOrg(6);
    assert.equal(cache.cursor(), 0);
    const reqs = [0, 1, 2].map((i) => makeRequest(org, i));
    seeded(cache, org, reqs, 42);
    assert.equal(cache.cursor(), 42);
    assert.equal(cache.list('user').length, 6);
    assert.equal(cache.list('environment').length, org.envIds.length);
    assert.deepEqual(cache.get('policy', 'pol_prod')?.name, 'Two approvals for production');
    assert.deepEqual(cache.request(reqs[1]!.id), reqs[1]);
    assert.deepEqual(
      cache.list('request').map((r) => r.id),
      [reqs[2]!.id, reqs[1]!.id, reqs[0]!.id],
    );

    const changed = { ...reqs[0]!, status: 'approved' as const };
    cache.applyChanges([upsert('request', changed), tombstone('request', reqs[1]!.id), tombstone('user', 'usr_5'), tombstone('binding', 'bnd_prod')], 43);
    assert.equal(cache.cursor(), 43);
    assert.equal(cache.request(reqs[0]!.id)?.status, 'approved');
    assert.equal(cache.request(reqs[1]!.id), undefined);
    assert.equal(cache.get('user', 'usr_5'), undefined);
    assert.equal(cache.get('binding', 'bnd_prod'), undefined);
    assert.equal(cache.inbox().total, 2);
    // a tombstone for something never seen is fine
    cache.applyChanges([tombstone('request', 'req_never'), tombstone('team', 'team_never')], 44);
    assert.equal(cache.cursor(), 44);
  });

  test("a request's content-rule fields (plan, cost, risk facts, rule results, rule snapshot) survive the store and a reopen", async () => {
    let { cache } = await openCache();
    const org = makeOrg(3);
    const base = makeRequest(org, 0);
    const req: ApprovalRequest = {
      ...base,
      payload: {
        ...base.payload,
        cost: { totalMonthlyCost: 1840.5, monthlyCostDiff: -120, currency: 'EUR' },
        plan: { format_version: '1.2', resource_changes: [{ address: 'aws_db_instance.main', change: { actions: ['delete'] } }] },
      },
      gates: base.gates.map((g) => ({
        ...g,
        rules: [{ name: 'destroys', when: 'risk.terraformDestroys > 0', outcome: 'pending', quorum: { ...g.quorum, minApprovals: 2 } }],
        timezone: 'Europe/Istanbul',
      })),
      warnings: ['untagged images: app uses nginx:latest'],
      risk: { ...NO_RISK, terraformDestroys: 1, deletedResources: 2, deletedKinds: ['PersistentVolumeClaim'], filesChanged: 3, complete: false },
      ruleResults: [
        { policyId: 'pol_prod', rule: 'destroys', matched: true, outcome: 'pending' },
        { policyId: 'pol_prod', rule: 'broken', matched: true, outcome: 'pending', error: 'no such key: x' },
      ],
    };
    seeded(cache, org, [req]);
    assert.deepEqual(cache.request(req.id), req);
    await closeCache(cache);
    ({ cache } = await openCache());
    assert.deepEqual(cache.request(req.id), req);
    assert.deepEqual(
      cache.list('request').find((r) => r.id === req.id),
      req,
    );
  });

  test('requests encoded ahead on the worker (prepare) are stored as applying them alone stores them', async () => {
    const org = makeOrg(4);
    const requests = Array.from({ length: 120 }, (_, i) => makeRequest(org, i));
    const changes = [...org.changes, ...requests.map((r) => upsert('request', r))];
    const { cache } = await openCache();
    await cache.prepare(changes);
    cache.applyChanges(changes, 200);
    for (const r of requests) assert.deepEqual(cache.request(r.id), r);
    await closeCache(cache);
    const { cache: reopened } = await openCache();
    assert.equal(reopened.inbox({ status: undefined }).total, requests.length);
    for (const r of requests) assert.deepEqual(reopened.request(r.id), r);
  });

  test('a bad change rolls the whole page back', async () => {
    const { cache } = await openCache();
    const org = makeOrg(4);
    seeded(cache, org, [makeRequest(org, 0)], 10);
    const bad: SyncChange = { seq: 12, entity: 'request', id: 'req_bad', op: 'upsert', data: { id: 'req_bad', action: 'nope' } };
    assert.throws(() => cache.applyChanges([upsert('request', makeRequest(org, 1)), bad], 12), /req_bad: unknown action/);
    assert.equal(cache.cursor(), 10);
    assert.equal(cache.request(makeRequest(org, 1).id), undefined);
    assert.equal(cache.inbox().total, 1);
    assert.throws(() => cache.applyChanges([{ ...upsert('user', { id: 'usr_y', name: 'Y' }), id: 'usr_z' }], 13), /differs from the change id/);
  });

  test('reset forgets everything, cursor and diffs included', async () => {
    const { cache } = await openCache();
    const org = makeOrg(4);
    const r = makeRequest(org, 0, { status: 'pending', diffBytes: 5 });
    seeded(cache, org, [r], 9);
    cache.putDiff(r.id, r.digest, 'hello');
    cache.reset();
    assert.equal(cache.cursor(), 0);
    assert.equal(cache.list('user').length, 0);
    assert.equal(cache.inbox().total, 0);
    assert.equal(cache.getDiff(r.id), undefined);
    assert.equal(cache.diffBytes(), 0);
    seeded(cache, org, [r], 3);
    assert.equal(cache.inbox().total, 1);
  });

  test('a 1000-change page applies in one go and fast enough', async () => {
    const { cache } = await openCache();
    const org = makeOrg();
    cache.applyChanges(org.changes, org.changes.length);
    const pages = [...requestPages(org, 3000)];
    const t = performance.now();
    for (const p of pages) cache.applyChanges(p.changes, p.cursor);
    const perPage = (performance.now() - t) / pages.length;
    assert.equal(cache.inbox({ limit: 0 }).total, 3000);
    assert.ok(perPage < 1000, `one 1000-change page took ${perPage} ms`);
  });
});

describe('inbox', () => {
  let cache: Cache;
  let org: Org;
  let reqs: ApprovalRequest[];

  beforeEach(async () => {
    ({ cache } = await openCache());
    org = makeOrg(12);
    reqs = Array.from({ length: 300 }, (_, i) => makeRequest(org, i));
    seeded(cache, org, reqs);
  });

  const newestFirst = (rs: ApprovalRequest[]) => [...rs].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));

  test('newest first, limit and offset page through the total', () => {
    const all = cache.inbox({ limit: 1000 });
    assert.equal(all.total, 300);
    assert.deepEqual(
      all.rows.map((r) => r.id),
      newestFirst(reqs).map((r) => r.id),
    );
    assert.equal(cache.inbox().rows.length, 100);
    const page = cache.inbox({ limit: 25, offset: 50 });
    assert.equal(page.total, 300);
    assert.deepEqual(
      page.rows.map((r) => r.id),
      all.rows.slice(50, 75).map((r) => r.id),
    );
    assert.equal(cache.inbox({ offset: 299 }).rows.length, 1);
  });

  test('status, group, environment and project filters, with counts for the chips', () => {
    const env = org.envIds[3]!;
    const project = org.envProject.get(env)!;
    const r = cache.inbox({ status: 'pending', group: 'release', limit: 1000 });
    const expect = reqs.filter((q) => q.status === 'pending' && q.action === 'release.deploy');
    assert.ok(expect.length > 0);
    assert.equal(r.total, expect.length);
    assert.deepEqual(new Set(r.rows.map((q) => q.id)), new Set(expect.map((q) => q.id)));
    // faceted counts: each facet applies every filter but its own
    for (const s of ['pending', 'approved', 'rejected', 'cancelled', 'expired'] as const) {
      assert.equal(r.counts.byStatus[s], reqs.filter((q) => q.status === s && q.action === 'release.deploy').length, s);
    }
    assert.equal(
      r.counts.byGroup.security,
      reqs.filter((q) => q.status === 'pending' && (q.action === 'token.issue' || q.action === 'breakglass.initiate')).length,
    );
    assert.equal(r.counts.byEnvironment[env] ?? 0, expect.filter((q) => q.resource.environmentId === env).length);
    assert.equal(r.counts.byProject[project] ?? 0, expect.filter((q) => q.resource.projectId === project).length);
    assert.equal(
      Object.values(r.counts.byProject).reduce((a, b) => a + b, 0),
      r.total,
    );
    const byEnv = cache.inbox({ environmentId: env, limit: 1000 });
    assert.deepEqual(
      byEnv.rows.map((q) => q.id),
      newestFirst(reqs.filter((q) => q.resource.environmentId === env)).map((q) => q.id),
    );
    assert.equal(
      Object.values(byEnv.counts.byStatus).reduce((a, b) => a + b, 0),
      byEnv.total,
    );
    const byProject = cache.inbox({ projectId: project, status: 'approved', limit: 1000 });
    assert.equal(byProject.total, reqs.filter((q) => q.resource.projectId === project && q.status === 'approved').length);
    assert.equal(byProject.counts.byStatus.pending, reqs.filter((q) => q.resource.projectId === project && q.status === 'pending').length);
  });

  test('text search: summary, justification, revision, requester, environment and project names; all terms; any case', () => {
    const target = makeRequest(org, 1000, {
      summary: 'Deploy Zanzibar gateway',
      justification: 'Fix for INC-424242',
      environmentId: org.envIds[0]!,
      requesterId: 'usr_3',
    });
    cache.applyChanges([upsert('request', target)], 101);
    const ids = (text: string) => cache.inbox({ text, limit: 1000 }).rows.map((r) => r.id);
    assert.deepEqual(ids('zanzibar'), [target.id]);
    assert.deepEqual(ids('ZANZIBAR inc-424242'), [target.id]);
    assert.deepEqual(ids(target.payload.revision!.slice(2, 12)), [target.id]);
    assert.deepEqual(ids('zanzibar nothere'), []);
    const userName = cache.get('user', 'usr_3')!.name;
    assert.ok(ids(`${userName} zanzibar`).includes(target.id));
    assert.ok(ids('zanzibar production api').includes(target.id), 'environment and project names');
    const r = cache.inbox({ text: 'zanzibar' });
    assert.equal(r.total, 1);
    assert.equal(r.counts.byStatus[target.status], 1);
    // the requester is renamed: the search text follows
    cache.applyChanges([upsert('user', { ...cache.get('user', 'usr_3')!, name: 'Quetzalcoatl Smith' })], 102);
    assert.deepEqual(ids('quetzalcoatl zanzibar'), [target.id]);
    assert.deepEqual(ids(`${userName.toLowerCase()} zanzibar`), []);
    // wildcards are plain characters
    assert.deepEqual(ids('%'), []);
    assert.deepEqual(ids('_'), ids('_')); // no throw
  });

  test('text search matches every name a row shows: action label, cluster, environment, project, requester, id', () => {
    const target = makeRequest(org, 1001, { action: 'manifest.apply', summary: 'Plain words', environmentId: org.envIds[0]!, requesterId: 'usr_3' });
    cache.applyChanges([upsert('request', target)], 101);
    const ids = (text: string) => cache.inbox({ text, limit: 1000, status: undefined }).rows.map((r) => r.id);
    assert.ok(ids('apply manifest plain words').includes(target.id), 'the action label');
    assert.ok(ids('eu-west plain words').includes(target.id), 'the cluster name');
    assert.deepEqual(ids(target.id), [target.id]);
    // the cluster is renamed: the search text follows
    cache.applyChanges([upsert('cluster', { id: 'cls_eu', name: 'Lisbon-Primary' })], 102);
    assert.ok(ids('lisbon-primary plain words').includes(target.id));
    assert.deepEqual(ids('eu-west plain words'), []);
  });

  test('my work: waiting on me, reviewed by me, requested by me, with faceted counts', () => {
    const me = cache.get('user', 'usr_1')!;
    const requesterGate = { ...makeRequest(org, 0).gates[0]!, approvers: { userIds: ['usr_1'], teamIds: [], orgRoles: [] } };
    const base = { status: 'pending' as const, requesterId: 'usr_2' };
    const waiting = { ...makeRequest(org, 2001, base), gates: [requesterGate], decisions: [] };
    const reviewed = {
      ...makeRequest(org, 2002, base),
      gates: [requesterGate],
      decisions: [{ userId: 'usr_1', kind: 'approve' as const, reviewedDigest: 'sha256:x', at: '2024-02-01T00:00:00.000Z' }],
    };
    const notMine = {
      ...makeRequest(org, 2003, base),
      gates: [{ ...requesterGate, approvers: { userIds: ['usr_5'], teamIds: [], orgRoles: [] } }],
      decisions: [],
    };
    const requested = { ...makeRequest(org, 2004, { status: 'approved', requesterId: 'usr_1' }), decisions: [] };
    const own = [waiting, reviewed, notMine, requested];
    const others = reqs.filter((r) => r.requesterId !== 'usr_1' && !r.decisions.some((d) => d.userId === 'usr_1'));
    // The seeded requests I requested or decided on go: the four above are all of my work.
    cache.applyChanges([...reqs.filter((r) => !others.includes(r)).map((r) => tombstone('request', r.id)), ...own.map((r) => upsert('request', r))], 101);
    const ids = (mine: 'waiting' | 'reviewed' | 'requested', status?: 'pending') =>
      cache
        .inbox({ mine, limit: 1000, ...(status ? { status } : {}) }, me)
        .rows.map((r) => r.id)
        .filter((id) => own.some((o) => o.id === id));
    assert.deepEqual(ids('waiting'), [waiting.id]);
    assert.deepEqual(ids('reviewed'), [reviewed.id]);
    assert.deepEqual(ids('requested'), [requested.id]);
    assert.deepEqual(ids('requested', 'pending'), []);
    const page = cache.inbox({ mine: 'reviewed' }, me);
    assert.equal(page.total, 1);
    assert.equal(page.counts.byStatus.pending, 1, 'the status facet counts within "reviewed by me"');
    assert.equal(page.counts.byMine.reviewed, 1);
    assert.equal(page.counts.byMine.requested, 1);
    assert.ok(page.counts.byMine.waiting >= 1, 'the waiting one counts although the list shows reviewed');
    // after I decide on the waiting one, it moves from waiting to reviewed
    cache.applyChanges([upsert('request', { ...waiting, decisions: [{ userId: 'usr_1', kind: 'reject', at: '2024-02-01T00:00:00.000Z' }] })], 102);
    assert.deepEqual(ids('waiting'), []);
    assert.deepEqual(ids('reviewed').sort(), [reviewed.id, waiting.id].sort());
    // no one signed in: the mine filters match nothing, and count nothing
    const anon = cache.inbox({ mine: 'requested' });
    assert.equal(anon.total, 0);
    assert.deepEqual(anon.counts.byMine, { waiting: 0, reviewed: 0, requested: 0 });
  });

  test('my work survives a reopen (the mirror from its snapshot loads deciders on first use)', async () => {
    const me = cache.get('user', 'usr_1')!;
    const before = cache.inbox({ mine: 'reviewed', status: undefined, limit: 1000 }, me);
    await closeCache(cache);
    ({ cache } = await openCache());
    const after = cache.inbox({ mine: 'reviewed', status: undefined, limit: 1000 }, me);
    assert.deepEqual(
      after.rows.map((r) => r.id),
      before.rows.map((r) => r.id),
    );
    assert.equal(after.total, reqs.filter((r) => r.decisions.some((d) => d.userId === 'usr_1')).length);
  });

  test('my work from a cache written before the mine column (rows without it are read from the request JSON)', async () => {
    const me = cache.get('user', 'usr_1')!;
    const waiting = cache.inbox({ mine: 'waiting', limit: 1000 }, me);
    const reviewed = cache.inbox({ mine: 'reviewed', status: undefined, limit: 1000 }, me);
    await closeCache(cache);
    // as an older build left it: the column empty on every row
    const SQL = await loadSqlJs();
    const bytes = readFileSync(file);
    const db = new SQL.Database(bytes.subarray(0, bytes.byteLength - SEAL_BYTES));
    db.exec('UPDATE requests SET mine = NULL');
    const image = db.export();
    db.close();
    writeFileSync(file, Buffer.concat([image, sealOf(image)]));
    ({ cache } = await openCache());
    assert.deepEqual(
      cache.inbox({ mine: 'reviewed', status: undefined, limit: 1000 }, me).rows.map((r) => r.id),
      reviewed.rows.map((r) => r.id),
    );
    assert.deepEqual(
      cache.inbox({ mine: 'waiting', limit: 1000 }, me).rows.map((r) => r.id),
      waiting.rows.map((r) => r.id),
    );
    assert.ok(reviewed.total > 0 && waiting.total > 0);
  });

  test('approvableCandidates and the inbox follow tombstones and status changes', () => {
    const pending = newestFirst(reqs.filter((q) => q.status === 'pending'));
    assert.deepEqual(
      cache.approvableCandidates().map((q) => q.id),
      pending.map((q) => q.id),
    );
    cache.applyChanges([upsert('request', { ...pending[0]!, status: 'approved' }), tombstone('request', pending[1]!.id)], 200);
    assert.deepEqual(
      cache.approvableCandidates().map((q) => q.id),
      pending.slice(2).map((q) => q.id),
    );
    assert.equal(cache.inbox({ status: 'pending' }).total, pending.length - 2);
  });
});

describe('inbox mirror', () => {
  test('random queries agree with a plain filter over every request', async () => {
    const { cache } = await openCache();
    const org = makeOrg(12);
    const reqs = Array.from({ length: 400 }, (_, i) => makeRequest(org, i, i % 7 === 0 ? { createdAt: '2024-03-01T00:00:00.000Z' } : {}));
    seeded(cache, org, reqs);
    const order = new Map(reqs.map((r, i) => [r.id, i]));
    const sorted = [...reqs].sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || order.get(b.id)! - order.get(a.id)!);
    const searchableOf = (r: ApprovalRequest) => {
      const e = cache.get('environment', r.resource.environmentId!)!;
      return [
        r.id,
        r.payload.summary,
        r.payload.revision,
        r.justification,
        cache.get('user', r.requesterId)!.name,
        r.requesterId,
        r.action,
        e.name,
        cache.get('project', r.resource.projectId!)!.name,
      ].join('\n');
    };
    const statuses = [undefined, 'pending', 'approved', 'rejected'] as const;
    const groups = [undefined, 'release', 'cluster', 'security'] as const;
    const texts = [undefined, 'hotfix', 'api', 'ada prod', 'v3.', 'nothing-matches'];
    let checked = 0;
    for (const status of statuses)
      for (const group of groups)
        for (const text of texts) {
          const env = checked % 5 === 0 ? org.envIds[checked % org.envIds.length] : undefined;
          const q = { status, group, text, environmentId: env, limit: 7, offset: checked % 3 };
          const got = cache.inbox(q);
          const terms = (text ?? '').toLowerCase().split(/\s+/).filter(Boolean);
          const matching = (f: { env?: string | undefined; status?: string | undefined; group?: string | undefined }) =>
            sorted.filter((r) => {
              if (f.env && r.resource.environmentId !== f.env) return false;
              if (f.status && r.status !== f.status) return false;
              if (f.group && ACTION_GROUP[r.action] !== f.group) return false;
              const hay = searchableOf(r).toLowerCase();
              return terms.every((t) => hay.includes(t));
            });
          const want = matching({ env, status, group });
          assert.equal(got.total, want.length, JSON.stringify(q));
          // ties in createdAt are broken by arrival order, newest arrival first
          assert.deepEqual(
            got.rows.map((r) => r.id),
            want.slice(q.offset, q.offset + 7).map((r) => r.id),
            JSON.stringify(q),
          );
          assert.equal(got.rows.length, Math.max(0, Math.min(7, got.total - q.offset)));
          const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
          assert.equal(sum(got.counts.byStatus), matching({ env, group }).length, `byStatus ${JSON.stringify(q)}`);
          assert.equal(sum(got.counts.byGroup), matching({ env, status }).length, `byGroup ${JSON.stringify(q)}`);
          assert.equal(sum(got.counts.byEnvironment), matching({ status, group }).length, `byEnvironment ${JSON.stringify(q)}`);
          checked++;
        }
  });

  test('cold starts read the saved snapshot, and a stale one is ignored', async () => {
    const org = makeOrg(6);
    const first = await openCache();
    seeded(
      first.cache,
      org,
      Array.from({ length: 30 }, (_, i) => makeRequest(org, i)),
      30,
    );
    await closeCache(first.cache); // saved with the inbox snapshot
    // a session that writes requests without ever building the mirror leaves the snapshot stale
    const second = await openCache();
    const late = makeRequest(org, 99, { summary: 'Deploy lighthouse', status: 'pending' });
    second.cache.applyChanges([upsert('request', late), tombstone('request', makeRequest(org, 0).id)], 31);
    await closeCache(second.cache);
    const third = await openCache();
    const r = third.cache.inbox({ limit: 1 });
    assert.equal(r.total, 30);
    assert.equal(r.rows[0]!.id, late.id);
    assert.deepEqual(
      third.cache.inbox({ text: 'lighthouse' }).rows.map((q) => q.id),
      [late.id],
    );
    // and once more, now from a fresh snapshot, with a write before the first search
    third.cache.applyChanges([upsert('request', makeRequest(org, 100, { summary: 'Deploy beacon' }))], 32);
    await closeCache(third.cache);
    const fourth = await openCache();
    fourth.cache.applyChanges([upsert('request', makeRequest(org, 101, { summary: 'Deploy beacon two' }))], 33);
    assert.equal(fourth.cache.inbox({ text: 'beacon' }).total, 2);
    assert.equal(fourth.cache.inbox({ text: 'lighthouse' }).total, 1);
    assert.equal(fourth.cache.inbox().total, 32);
  });

  test('a background save leaves the inbox snapshot for later; flush and close write it', async () => {
    const SQL = await loadSqlJs();
    const snapshotOnDisk = () => {
      const bytes = readFileSync(file);
      const db = new SQL.Database(bytes.subarray(0, bytes.byteLength - SEAL_BYTES));
      try {
        return db.exec("SELECT count(*) FROM meta WHERE key = 'inbox_snapshot'")[0]!.values[0]![0] === 1;
      } finally {
        db.close();
      }
    };
    const org = makeOrg(4);
    const saves: number[] = [];
    const { cache } = await openCache({ saveDelayMs: 5, onSave: (i) => saves.push(i.bytes) });
    seeded(cache, org, [makeRequest(org, 1)], 10);
    assert.equal(cache.inbox().total, 1); // the mirror exists: a snapshot could be written
    await until(() => saves.length === 1, 'the background save');
    assert.equal(snapshotOnDisk(), false);
    await cache.flush(); // nothing else changed: saved for the snapshot alone
    assert.equal(saves.length, 2);
    assert.equal(snapshotOnDisk(), true);
    cache.applyChanges([upsert('request', makeRequest(org, 2))], 11);
    assert.equal(cache.inbox().total, 2);
    await closeCache(cache);
    const { cache: again } = await openCache();
    assert.equal(again.inbox().total, 2); // from the snapshot close wrote, not a stale one
  });

  test('renaming an environment or project updates the search text of its requests', async () => {
    const { cache } = await openCache();
    const org = makeOrg(4);
    const env = org.envIds[0]!;
    const r = makeRequest(org, 1, { environmentId: env });
    seeded(cache, org, [r]);
    const e = cache.get('environment', env)!;
    const p = cache.get('project', e.projectId)!;
    cache.applyChanges([upsert('environment', { ...e, name: 'Moonbase' }), upsert('project', { ...p, name: 'Tycho' })], 200);
    assert.deepEqual(
      cache.inbox({ text: 'moonbase tycho' }).rows.map((q) => q.id),
      [r.id],
    );
  });

  test('the first page after a cold start may add requests and rename a user at once', async () => {
    const org = makeOrg(5);
    const first = await openCache();
    seeded(first.cache, org, [makeRequest(org, 1)], 1);
    assert.equal(first.cache.inbox().total, 1); // builds the mirror, so the save holds its snapshot
    await closeCache(first.cache);
    const { cache } = await openCache();
    const user = cache.get('user', org.userIds[0]!)!;
    // the rename needs the mirror mid-page, when the new request is in the table but not in the snapshot
    cache.applyChanges([upsert('request', makeRequest(org, 2)), upsert('user', { ...user, name: 'Renamed Person' })], 2);
    assert.equal(cache.inbox().total, 2);
  });
});

describe('persistence', () => {
  test('the cursor and data persist across reopen', async () => {
    const { cache } = await openCache();
    const org = makeOrg(5);
    const r = makeRequest(org, 7);
    seeded(cache, org, [r], 77);
    await closeCache(cache);
    const again = await openCache();
    assert.equal(again.recovered, undefined);
    assert.equal(again.cache.cursor(), 77);
    assert.deepEqual(again.cache.request(r.id), r);
    assert.equal(again.cache.inbox({ text: r.payload.summary!.split(' ')[0] }).total >= 1, true);
  });

  test('many writes coalesce into few saves; writes during a save are not lost', async () => {
    const saves: number[] = [];
    const { cache } = await openCache({ saveDelayMs: 50, onSave: (i) => saves.push(i.bytes) });
    const org = makeOrg(5);
    cache.applyChanges(org.changes, 1);
    for (let i = 0; i < 100; i++) cache.applyChanges([upsert('request', makeRequest(org, i))], 2 + i);
    assert.equal(saves.length, 0);
    await until(() => saves.length > 0, 'the save');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(saves.length, 1);
    assert.equal(cache.isDirty(), false);
    // a write while the file is being written gets its own save
    const slowIo: PersistIo = { ...nodeIo, writeAndSync: async (p, c) => (await new Promise((r) => setTimeout(r, 30)), nodeIo.writeAndSync(p, c)) };
    await closeCache(cache);
    const { cache: c2 } = await openCache({ saveDelayMs: 5, io: slowIo, onSave: (i) => saves.push(i.bytes) });
    c2.applyChanges([upsert('request', makeRequest(org, 500))], 500);
    await new Promise((r) => setTimeout(r, 15)); // the save is now writing
    c2.applyChanges([upsert('request', makeRequest(org, 501))], 501);
    await c2.flush();
    await closeCache(c2);
    const { cache: c3 } = await openCache();
    assert.equal(c3.cursor(), 501);
    assert.ok(c3.request(makeRequest(org, 501).id));
  });

  test('flush saves at once; close flushes', async () => {
    let saves = 0;
    const { cache } = await openCache({ saveDelayMs: 60_000, onSave: () => saves++ });
    cache.applyChanges(makeOrg(3).changes, 5);
    await cache.flush();
    assert.equal(saves, 1);
    await cache.flush(); // nothing new
    assert.equal(saves, 1);
    cache.applyChanges([upsert('team', { id: 'team_new', name: 'New' })], 6);
    await closeCache(cache);
    assert.equal(saves, 2);
    assert.throws(() => cache.inbox(), /closed/);
    const { cache: again } = await openCache();
    assert.equal(again.cursor(), 6);
  });

  test('a sync catching up is saved after its last page, not once per page; other changes keep their prompt save', async () => {
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const saves: number[] = [];
    const { cache } = await openCache({ saveDelayMs: 5, deferredSaveDelayMs: 60_000, onSave: (i) => saves.push(i.bytes) });
    const org = makeOrg(5);
    cache.applyChanges(org.changes, 1, { more: true });
    for (let i = 0; i < 10; i++) {
      cache.applyChanges([upsert('request', makeRequest(org, i))], 2 + i, { more: true });
      await sleep(10); // each gap longer than saveDelayMs
    }
    assert.equal(saves.length, 0);
    assert.equal(cache.isDirty(), true);
    cache.applyChanges([upsert('request', makeRequest(org, 50))], 50); // the last page
    await until(() => saves.length === 1, 'the save after the last page');

    // A change of the user's own during a catch-up (a viewed mark, a decision's echo) is not put off.
    cache.applyChanges([upsert('request', makeRequest(org, 51))], 51, { more: true });
    cache.applyChanges([upsert('request', makeRequest(org, 52))], 52); // not a catch-up page
    cache.applyChanges([upsert('request', makeRequest(org, 53))], 53, { more: true });
    await until(() => saves.length === 2, 'the prompt save');
    // A downloaded diff can be downloaded again: it waits for the next save too.
    const pending = makeRequest(org, 53);
    cache.putDiff(pending.id, pending.digest, 'diff --git a/x b/x\n');
    await sleep(30);
    assert.equal(saves.length, 2);
    assert.equal(cache.isDirty(), true);
    await closeCache(cache);
    const { cache: reopened } = await openCache();
    assert.equal(reopened.cursor(), 53);
    await closeCache(reopened);

    // A long catch-up is still saved every deferredSaveDelayMs, so a crash loses little of it.
    const capped: number[] = [];
    const { cache: c2 } = await openCache({ saveDelayMs: 1, deferredSaveDelayMs: 60, onSave: (i) => capped.push(i.bytes) });
    const t0 = performance.now();
    let pages = 0;
    while (capped.length === 0) {
      c2.applyChanges([upsert('request', makeRequest(org, 100 + pages))], 100 + pages, { more: true });
      pages++;
      await sleep(5);
      if (performance.now() - t0 > 10_000) throw new Error('no save during a long catch-up');
    }
    assert.ok(performance.now() - t0 >= 60, 'not saved before the catch-up delay');
    assert.ok(pages > 1, `saved after ${pages} pages`);
  });

  test('keeps working after export (statements re-prepared, PRAGMAs re-applied)', async () => {
    const { cache } = await openCache({ saveDelayMs: 60_000 });
    const org = makeOrg(5);
    seeded(cache, org, [makeRequest(org, 1)], 1);
    for (let round = 0; round < 3; round++) {
      await cache.flush();
      cache.applyChanges([upsert('request', makeRequest(org, 10 + round))], 2 + round);
      assert.equal(cache.inbox().total, 2 + round);
      assert.ok(cache.get('user', 'usr_1'));
      assert.equal(cache.missingPendingDiffs().length >= 0, true);
    }
  });

  test('a failed save keeps the state in memory and the old file intact, reports via onError, and retries', async () => {
    const errors: Error[] = [];
    let fail = false;
    const io: PersistIo = {
      ...nodeIo,
      writeAndSync: async (p, c) => {
        if (fail) {
          writeFileSync(p, 'partial'); // a torn tmp file, as a full disk leaves it
          throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        }
        return nodeIo.writeAndSync(p, c);
      },
    };
    const { cache } = await openCache({ saveDelayMs: 10, retryDelayMs: 30, io, onError: (e) => errors.push(e) });
    const org = makeOrg(5);
    seeded(cache, org, [makeRequest(org, 1)], 1);
    await cache.flush();
    const before = readFileSync(file);
    fail = true;
    cache.applyChanges([upsert('request', makeRequest(org, 2))], 2);
    await until(() => errors.length > 0, 'the save error');
    assert.match(errors[0]!.message, /ENOSPC/);
    assert.deepEqual(readFileSync(file), before);
    assert.equal(existsSync(`${file}.tmp`), false);
    assert.equal(cache.cursor(), 2);
    assert.equal(cache.inbox().total, 2);
    await assert.rejects(cache.flush(), /ENOSPC/);
    fail = false;
    await until(() => !cache.isDirty(), 'the retry to succeed');
    await closeCache(cache);
    const { cache: again } = await openCache();
    assert.equal(again.cursor(), 2);
  });
});

describe('recovery', () => {
  async function populated() {
    const { cache } = await openCache();
    const org = makeOrg(5);
    seeded(
      cache,
      org,
      Array.from({ length: 50 }, (_, i) => makeRequest(org, i)),
      50,
    );
    await closeCache(cache);
    return org;
  }

  const aside = () => readdirSync(dir).filter((n) => n.includes('.corrupt-'));

  test('a truncated file is moved aside and the cache starts empty', async () => {
    await populated();
    truncateSync(file, Math.floor(statSync(file).size / 2));
    const { cache, recovered } = await openCache();
    assert.ok(recovered);
    assert.match(recovered.reason, /truncated/);
    assert.equal(existsSync(recovered.movedTo), true);
    assert.deepEqual(aside(), [recovered.movedTo.slice(dir.length + 1)]);
    assert.equal(cache.cursor(), 0);
    assert.equal(cache.inbox().total, 0);
    cache.applyChanges(makeOrg(2).changes, 3);
    await closeCache(cache);
    const again = await openCache();
    assert.equal(again.recovered, undefined);
    assert.equal(again.cache.cursor(), 3);
  });

  test('a garbage file is moved aside', async () => {
    writeFileSync(file, 'this is not a database, just some text that happens to be long enough to have a header '.repeat(50));
    const { cache, recovered } = await openCache();
    assert.match(recovered?.reason ?? '', /bad header/);
    assert.equal(cache.cursor(), 0);
    assert.equal(aside().length, 1);
  });

  test('flipped bytes inside a sealed file are caught by the checksum', async () => {
    await populated();
    const bytes = readFileSync(file);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    writeFileSync(file, bytes);
    const { recovered } = await openCache();
    assert.match(recovered?.reason ?? '', /checksum/);
  });

  test('an unsealed file (another writer) is quick_checked; a corrupt one is moved aside', async () => {
    await populated();
    const image = readFileSync(file).subarray(0, statSync(file).size - SEAL_BYTES);
    writeFileSync(file, image);
    const ok = await openCache();
    assert.equal(ok.recovered, undefined, 'a healthy unsealed file loads');
    assert.equal(ok.cache.inbox().total, 50);
    await closeCache(ok.cache);
    const bad = Buffer.from(image);
    const pageSize = bad.readUInt16BE(16);
    for (let p = 2; p * pageSize < bad.length; p += 2) bad.fill(0x5a, p * pageSize + 8, p * pageSize + 200); // scribble over b-tree pages
    writeFileSync(file, bad);
    const { recovered, cache } = await openCache();
    assert.ok(recovered, 'moved aside');
    assert.match(recovered.reason, /quick_check|malformed|not a database/);
    assert.equal(cache.inbox().total, 0);
  });

  test('a file from a newer schema is moved aside', async () => {
    await populated();
    const { loadSqlJs } = await import('./index.ts');
    const SQL = await loadSqlJs();
    const image = readFileSync(file).subarray(0, statSync(file).size - SEAL_BYTES);
    const db = new SQL.Database(image);
    db.exec('PRAGMA user_version = 99');
    writeFileSync(file, db.export());
    db.close();
    const { recovered } = await openCache();
    assert.match(recovered?.reason ?? '', /newer schema/);
  });

  test('a crash mid-save (a stray .tmp) leaves the old file, which loads', async () => {
    await populated();
    writeFileSync(`${file}.tmp`, 'half a database');
    const { cache, recovered } = await openCache();
    assert.equal(recovered, undefined);
    assert.equal(cache.cursor(), 50);
    assert.equal(cache.inbox().total, 50);
    assert.equal(existsSync(`${file}.tmp`), false);
  });
});

describe('diffs', () => {
  test('put, get, missing pending diffs newest first, digest changes', async () => {
    const { cache } = await openCache();
    const org = makeOrg(4);
    const a = makeRequest(org, 1, { status: 'pending', diffBytes: 100 });
    const b = makeRequest(org, 2, { status: 'pending', diffBytes: 100 });
    const c = makeRequest(org, 3, { status: 'pending', diffBytes: 0 });
    const d = makeRequest(org, 4, { status: 'approved', diffBytes: 100 });
    seeded(cache, org, [a, b, c, d]);
    assert.deepEqual(cache.missingPendingDiffs(10), [
      { id: b.id, digest: b.digest, diffBytes: 100 },
      { id: a.id, digest: a.digest, diffBytes: 100 },
    ]);
    assert.deepEqual(cache.missingPendingDiffs(1).length, 1);
    cache.putDiff(b.id, b.digest, 'diff --git a/x b/x\n+ü\n');
    assert.deepEqual(cache.getDiff(b.id), { digest: b.digest, text: 'diff --git a/x b/x\n+ü\n' });
    assert.deepEqual(
      cache.missingPendingDiffs(10).map((m) => m.id),
      [a.id],
    );
    cache.applyChanges([upsert('request', { ...b, digest: 'sha256:new' })], 101);
    assert.deepEqual(
      cache.missingPendingDiffs(10).map((m) => m.id),
      [b.id, a.id],
      'a changed digest needs a new diff',
    );
    assert.equal(cache.getDiff(b.id)?.digest, b.digest, 'the old text is still there; the caller compares digests');
    // survives reopen
    await closeCache(cache);
    const { cache: again } = await openCache();
    assert.equal(again.getDiff(b.id)?.text, 'diff --git a/x b/x\n+ü\n');
    // a tombstone drops it
    again.applyChanges([tombstone('request', b.id)], 102);
    assert.equal(again.getDiff(b.id), undefined);
    assert.equal(again.diffBytes(), 0);
  });

  test('over the budget: least recently read non-pending diffs go, pending ones stay', async () => {
    const { cache } = await openCache({ diffBudgetBytes: 1000 });
    const org = makeOrg(4);
    const done = [1, 2, 3, 4].map((i) => makeRequest(org, i, { status: 'approved', diffBytes: 300 }));
    const pending = makeRequest(org, 9, { status: 'pending', diffBytes: 300 });
    seeded(cache, org, [...done, pending]);
    const text = (ch: string) => ch.repeat(300);
    cache.putDiff(pending.id, pending.digest, text('p'));
    cache.putDiff(done[0]!.id, 'd0', text('a'));
    cache.putDiff(done[1]!.id, 'd1', text('b'));
    assert.equal(cache.diffBytes(), 900);
    cache.getDiff(done[0]!.id); // now done[1] is the least recently read
    cache.putDiff(done[2]!.id, 'd2', text('c'));
    assert.equal(cache.getDiff(done[1]!.id), undefined, 'evicted');
    assert.ok(cache.getDiff(done[0]!.id));
    assert.ok(cache.getDiff(pending.id));
    assert.ok(cache.getDiff(done[2]!.id));
    assert.ok(cache.diffBytes() <= 1000);
    cache.putDiff(done[3]!.id, 'd3', text('d'));
    assert.ok(cache.getDiff(pending.id), 'a pending diff is never evicted');
    assert.ok(cache.diffBytes() <= 1000);
    assert.equal(readdirSync(`${file}.diffs`).length, 3);
  });

  test('a diff file lost after a crash reads as not cached; orphans are swept at open', async () => {
    const { cache } = await openCache();
    const org = makeOrg(4);
    const r = makeRequest(org, 1, { status: 'pending', diffBytes: 10 });
    seeded(cache, org, [r]);
    cache.putDiff(r.id, r.digest, '0123456789');
    await closeCache(cache);
    const diffDir = `${file}.diffs`;
    const [name] = readdirSync(diffDir);
    writeFileSync(join(diffDir, name!), '01234'); // short: lost its tail
    writeFileSync(join(diffDir, 'orphan.diff'), 'x');
    const { cache: again } = await openCache();
    assert.equal(again.getDiff(r.id), undefined);
    assert.deepEqual(
      again.missingPendingDiffs(5).map((m) => m.id),
      [r.id],
    );
    assert.equal(existsSync(join(diffDir, 'orphan.diff')), false);
  });
});

test('the server id survives a reopen, and reset forgets it with the data', async () => {
  const first = await openCache();
  assert.equal(first.cache.serverId(), undefined);
  first.cache.setServerId('0a1b2c');
  await closeCache(first.cache);
  const second = await openCache();
  assert.equal(second.cache.serverId(), '0a1b2c');
  second.cache.reset();
  assert.equal(second.cache.serverId(), undefined);
  await closeCache(second.cache);
});
