// Two `serve` processes on one PostgreSQL database (issue 16): what the advisory lock and
// LISTEN/NOTIFY promise across processes. Runs on a throw-away database of its own in the
// PostgreSQL run of the suite (GATEHOUSE_TEST_STORE=postgres: the matrix's PostgreSQL lanes), so
// the SQLite lanes don't pay for it; skipped, saying why, otherwise.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RequestDetailResponse, SyncResponse } from '../../shared/schemas/index.ts';
import { freshDatabase, onlyOnPostgres, testCluster } from '../postgres.ts';
import { setupOrg, type Org } from './fixtures.ts';
import { apiFor, cleanupTempDirs, expectError, expectOk, killAll, runCli, ServerProcess, tempDir, uniq, waitFor } from './harness.ts';

const skip = onlyOnPostgres();

/** An event stream, read all the time in the background, so each frame's arrival time is when it came. */
async function openEvents(base: string, token: string) {
  const controller = new AbortController();
  const res = await fetch(new URL('/api/events', base), { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
  assert.equal(res.status, 200);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const frames: { cursor: number; at: number }[] = [];
  let wake = () => {};
  let ended = false;
  const pump = (async () => {
    let text = '';
    try {
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) break;
        const at = performance.now();
        text += chunk.value;
        for (const m of text.matchAll(/event: change\ndata: \{"cursor":(\d+)\}\n\n/g)) frames.push({ cursor: Number(m[1]), at });
        text = text.slice(text.lastIndexOf('\n\n') + 2);
        wake();
      }
    } catch {
      // aborted
    } finally {
      ended = true;
      wake();
    }
  })();
  return {
    /** The newest change frame that arrived after `since` (performance.now()), waiting up to `timeoutMs`. */
    async next(since: number, timeoutMs: number): Promise<{ cursor: number; at: number } | undefined> {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const got = frames.filter((f) => f.at >= since).at(-1);
        if (got) return got;
        const left = deadline - performance.now();
        if (left <= 0 || ended) return undefined;
        await new Promise<void>((r) => {
          const timer = setTimeout(r, left);
          wake = () => {
            clearTimeout(timer);
            r();
          };
        });
      }
    },
    async close(): Promise<void> {
      controller.abort();
      await reader.cancel().catch(() => {});
      await pump;
    },
  };
}

describe('two serve processes on one PostgreSQL database', { skip }, () => {
  let a: ServerProcess;
  let b: ServerProcess;
  let org: Org;

  before(async () => {
    const url = await freshDatabase();
    const dir = tempDir();
    const init = await runCli(['init', '--data', dir, '--owner-email', 'owner@example.com', '--database', url]);
    assert.equal(init.code, 0, init.stderr);
    const ownerToken = init.stdout.trim().split('\n').at(-1)!.trim();
    // Both read the one audit key in the one data dir, as instances behind a load balancer share it.
    [a, b] = await Promise.all([new ServerProcess(dir, ['--database', url]).start(), new ServerProcess(dir, ['--database', url]).start()]);
    org = await setupOrg(() => a.url, ownerToken);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    killAll();
    cleanupTempDirs();
  });

  test('20 racing approvals split across the two processes: exactly one 200, 19 × 409 not_pending, one decision', async () => {
    const racers = await org.team(uniq('Racers'));
    const users = await Promise.all(Array.from({ length: 20 }, (_, i) => org.user(`Racer ${i}`, 'member', { teamIds: [racers.id] })));
    const env = await org.env();
    await org.policyOn(env.id, { actions: ['release.deploy'], teamIds: [racers.id], minApprovals: 1 });
    const r = await org.request(org.plain, env.id, 'pending');
    const results = await Promise.all(
      users.map((u, i) => apiFor(i % 2 ? b.url : a.url, u.token).post(`/api/requests/${r.id}/approve`, { comment: `via ${i % 2 ? 'B' : 'A'}` })),
    );
    const ok = results.filter((x) => x.status === 200);
    assert.equal(ok.length, 1, `statuses: ${results.map((x) => x.status).join(',')}`);
    for (const c of results.filter((x) => x.status !== 200)) expectError(c, 409, 'not_pending');
    for (const base of [a.url, b.url]) {
      const d = expectOk(await apiFor(base, org.owner.token).get(`/api/requests/${r.id}`), 200, RequestDetailResponse);
      assert.equal(d.request.status, 'approved');
      assert.equal(d.request.decisions.length, 1);
    }
    const v = await apiFor(b.url, org.owner.token).get('/api/audit/verify');
    assert.equal((v.body as { ok: boolean }).ok, true, v.text);
  });

  test('one Idempotency-Key sent to both processes at once: one request made, both answers the same', async () => {
    const env = await org.env({ protection: 'none' });
    const key = uniq('key');
    const body = { action: 'release.deploy', resource: { environmentId: env.id }, justification: 'same key, two processes', payload: { revision: 'idem' } };
    const [ra, rb] = await Promise.all([
      apiFor(a.url, org.m1.token).post('/api/requests', body, { 'idempotency-key': key }),
      apiFor(b.url, org.m1.token).post('/api/requests', body, { 'idempotency-key': key }),
    ]);
    assert.equal(ra.status, rb.status, `${ra.text} / ${rb.text}`);
    assert.equal(ra.text, rb.text);
  });

  test('an event stream on A wakes within 100 ms of a commit on B (p99 of 20), and A then serves the change', async (t) => {
    const events = await openEvents(a.url, org.owner.token);
    try {
      // The first frame is the current cursor; wait for it, so each wake-up below is B's commit.
      const first = await events.next(0, 10_000);
      assert.ok(first, 'the stream opens with the current cursor');
      const samples: number[] = [];
      let last = first.cursor;
      for (let i = 0; i < 20; i++) {
        const sent = performance.now();
        const made = await apiFor(b.url, org.owner.token).post('/api/teams', { name: uniq('via-B') });
        // Measured from B's answer (the commit is acknowledged): what a user on A waits after B said "done".
        const answered = performance.now();
        assert.equal(made.status, 201, made.text);
        const woke = await events.next(sent, 5_000);
        assert.ok(woke, `no change frame on A within 5 s of commit ${i} on B`);
        assert.ok(woke.cursor > last, `cursor ${woke.cursor} after ${last}`);
        last = woke.cursor;
        // The NOTIFY can reach A before B's answer reaches us: that is 0 ms late.
        samples.push(Math.max(0, woke.at - answered));
      }
      const sorted = [...samples].sort((x, y) => x - y);
      const p99 = sorted[Math.ceil(0.99 * sorted.length) - 1]!;
      t.diagnostic(`A woke after B's commit: median ${Math.round(sorted[sorted.length >> 1]!)} ms, p99 ${Math.round(p99)} ms`);
      // The goal is 100 ms (bench: pg.cross_process_change_p99_ms); the path itself is a NOTIFY
      // and one SSE write, a few ms. CI runs this on a shared 2-core machine with three busy
      // processes (A, B, this test) and PostgreSQL, where a scheduling stall of tens of ms on
      // one sample is normal, so the bound is 2.5 × the goal: still far below what a broken
      // fan-out looks like (no wake at all, or a poll's seconds), without failing on a slow runner.
      assert.ok(p99 < 250, `p99 ${Math.round(p99)} ms (samples ${samples.map(Math.round).join(', ')})`);
      const page = expectOk(await apiFor(a.url, org.owner.token).get(`/api/sync?cursor=${first.cursor}&limit=100`), 200, SyncResponse);
      assert.equal(
        page.changes.filter((c) => c.entity === 'team' && (c as { data?: { name?: string } }).data?.name?.startsWith('via-B')).length,
        20,
        'A serves the 20 teams made through B',
      );
    } finally {
      await events.close();
    }
  });

  test('the database goes away: both processes answer 503 unavailable with Retry-After, then work again once it is back, with no restart', async () => {
    const cluster = await testCluster();
    const write = (base: string) => apiFor(base, org.owner.token).post('/api/teams', { name: uniq('outage') });
    assert.equal((await write(a.url)).status, 201, 'a write works before the outage');
    cluster.pause();
    try {
      for (const [name, base] of [
        ['A', a.url],
        ['B', b.url],
      ] as const) {
        const w = await write(base);
        expectError(w, 503, 'unavailable', /the database is unavailable/, `a write on ${name}`);
        assert.match(w.headers.get('retry-after') ?? '', /^[1-9]\d*$/, `Retry-After on ${name}'s write`);
        // A read needs the database too (the bearer token is looked up in it): 503, not 500.
        const r = await apiFor(base, org.owner.token).get('/api/requests?limit=1');
        expectError(r, 503, 'unavailable', /the database is unavailable/, `a read on ${name}`);
        assert.ok(r.headers.get('retry-after'), `Retry-After on ${name}'s read`);
      }
    } finally {
      cluster.resume();
    }
    // The pool reconnects on the next query; each process's first write after the outage works.
    for (const base of [a.url, b.url]) {
      const w = await write(base);
      assert.equal(w.status, 201, w.text);
    }
    // And A's LISTEN connection is back too (it retries each second): a commit on B is news on A again.
    const events = await openEvents(a.url, org.owner.token);
    try {
      assert.ok(await events.next(0, 10_000), 'the stream opens with the current cursor');
      const woke = await waitFor(
        async () => {
          const sent = performance.now();
          const made = await apiFor(b.url, org.owner.token).post('/api/teams', { name: uniq('after-outage') });
          assert.equal(made.status, 201, made.text);
          return events.next(sent, 1_000);
        },
        15_000,
        0,
      );
      assert.ok(woke, 'an event stream on A wakes after a commit on B once the database is back');
    } finally {
      await events.close();
    }
    const v = await apiFor(a.url, org.owner.token).get('/api/audit/verify');
    assert.equal((v.body as { ok: boolean }).ok, true, v.text);
  });

  test('kill -9 of A while its clients retry on B with the same Idempotency-Keys: nothing lost, nothing applied twice, the audit chain verifies', async () => {
    const env = await org.env({ protection: 'none' });
    const run = uniq('crash');
    const clients = 10;
    const each = 6;
    let done = 0;
    let killed: Promise<void> | undefined;
    const answers = new Map<string, { status: number; id: string; via: string }>();
    // A client sends each request to A until A is gone, then to B, always with the request's own
    // key; a 5xx or a dropped connection is retried (what the desktop's outbox does).
    const send = async (key: string, i: number) => {
      const body = { action: 'release.deploy', resource: { environmentId: env.id }, justification: `${run} ${key}`, payload: { revision: `r${i}` } };
      for (let attempt = 0; attempt < 100; attempt++) {
        const base = a.running && attempt === 0 ? a.url : b.url;
        const res = await apiFor(base, org.m1.token)
          .post('/api/requests', body, { 'idempotency-key': key })
          .catch(() => undefined);
        if (res !== undefined && res.status < 500) {
          assert.ok(res.status === 200 || res.status === 201, `${key}: ${res.status} ${res.text}`);
          answers.set(key, { status: res.status, id: (res.body as { request: { id: string } }).request.id, via: base === a.url ? 'A' : 'B' });
          return;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.fail(`${key}: no answer after 100 tries`);
    };
    await Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        for (let i = 0; i < each; i++) {
          await send(`${run}-${c}-${i}`, i);
          // A third of the way through, A dies with requests of other clients in flight.
          if (++done === Math.floor((clients * each) / 3)) killed = a.kill9();
        }
      }),
    );
    await killed;
    assert.equal(a.running, false, 'A was killed');
    const viaA = [...answers.values()].filter((x) => x.via === 'A').length;
    assert.ok(viaA > 0 && viaA < clients * each, `answers via A: ${viaA} of ${clients * each}`);
    const ids = [...answers.values()].map((x) => x.id);
    assert.equal(answers.size, clients * each, 'every key answered');
    assert.equal(new Set(ids).size, ids.length, 'each key made its own request');
    // Nothing applied twice: the environment holds exactly one request per key, and each key sent again answers with its request.
    const api = apiFor(b.url, org.owner.token);
    const list = await api.get(`/api/requests?environmentId=${env.id}&limit=500`);
    assert.equal(list.status, 200, list.text);
    const stored = (list.body as { requests: { id: string; justification: string }[] }).requests;
    assert.deepEqual(stored.map((r) => r.id).sort(), [...ids].sort(), 'the requests stored are exactly the ones answered');
    for (const [key, first] of answers) {
      const again = await apiFor(b.url, org.m1.token).post(
        '/api/requests',
        { action: 'release.deploy', resource: { environmentId: env.id }, justification: `${run} ${key}`, payload: { revision: `r${key.split('-').at(-1)}` } },
        { 'idempotency-key': key },
      );
      assert.equal((again.body as { request?: { id: string } }).request?.id, first.id, `${key} again: ${again.text}`);
    }
    const v = await api.get('/api/audit/verify');
    assert.equal((v.body as { ok: boolean }).ok, true, v.text);
    // A starts again on the same database after the crash, and agrees.
    await a.start();
    const va = await apiFor(a.url, org.owner.token).get('/api/audit/verify');
    assert.equal((va.body as { ok: boolean }).ok, true, va.text);
    const listA = await apiFor(a.url, org.owner.token).get(`/api/requests?environmentId=${env.id}&limit=500`);
    assert.equal((listA.body as { requests: unknown[] }).requests.length, clients * each);
  });
});
