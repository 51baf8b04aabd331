// Durability and process lifecycle: acknowledged writes survive kill -9; the audit chain detects a
// row edited behind the server's back; SIGTERM exits 0 (also with an SSE stream open) and loses
// nothing it acknowledged.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AuditCheckpointsResponse,
  AuditResponse,
  AuditVerifyResponse,
  ErrorBody,
  RequestDetailResponse,
  RequestResponse,
  RequestsResponse,
  TeamsResponse,
} from '../../shared/schemas/index.ts';
import { cleanupTempDirs, expectOk, initDir, killAll, ServerProcess, sleep, waitFor } from './harness.ts';
import { withDb } from '../tamper.ts';
import { setupOrg, type Org } from './fixtures.ts';

let server: ServerProcess;
let org: Org;
let dir: string;

before(async () => {
  const init = await initDir();
  dir = init.dir;
  server = await new ServerProcess(dir).start();
  org = await setupOrg(() => server.url, init.ownerToken);
});
after(async () => {
  await server?.stop();
  killAll();
  cleanupTempDirs();
});

async function verify() {
  return expectOk(await org.m1.api.get('/api/audit/verify'), 200, AuditVerifyResponse);
}

describe('kill -9', () => {
  test('an approval acknowledged with 200 survives SIGKILL right after; audit verifies', async () => {
    const env = await org.env({ protection: 'restricted', reviewers: { teamIds: [org.alpha.id] } });
    for (let round = 0; round < 3; round++) {
      const r = await org.request(org.m3, env.id, 'pending');
      const res = await org.m1.api.post(`/api/requests/${r.id}/approve`, { comment: `round ${round}` });
      expectOk(res, 200, RequestResponse);
      await server.kill9();
      assert.equal(server.running, false);
      await server.start();
      const d = expectOk(await org.m1.api.get(`/api/requests/${r.id}`), 200, RequestDetailResponse);
      assert.equal(d.request.status, 'approved', `round ${round}`);
      assert.equal(d.request.decisions.length, 1);
      assert.equal(d.request.decisions[0]!.userId, org.m1.id);
      assert.equal(d.request.decisions[0]!.comment, `round ${round}`);
      const v = await verify();
      assert.equal(v.ok, true, JSON.stringify(v));
    }
  });

  test('many concurrent acknowledged writes survive SIGKILL', async () => {
    const env = await org.env({ protection: 'restricted', reviewers: { teamIds: [org.alpha.id] } });
    const reqs = await Promise.all(Array.from({ length: 10 }, () => org.request(org.m3, env.id, 'pending')));
    const results = await Promise.all(reqs.map((r, i) => (i % 2 ? org.m1 : org.m2).api.post(`/api/requests/${r.id}/approve`, {})));
    for (const res of results) expectOk(res, 200, RequestResponse);
    await server.kill9();
    await server.start();
    for (const r of reqs) {
      const d = expectOk(await org.m1.api.get(`/api/requests/${r.id}`), 200, RequestDetailResponse);
      assert.equal(d.request.status, 'approved');
      assert.equal(d.request.decisions.length, 1);
    }
    assert.equal((await verify()).ok, true);
  });
  test('SIGKILL in the middle of a stream of concurrent writes: every acknowledged write is there after restart', async () => {
    if (!server.running) await server.start();
    const env = await org.env({ protection: 'restricted', reviewers: { teamIds: [org.alpha.id] } });
    const pending = await Promise.all(Array.from({ length: 40 }, () => org.request(org.m3, env.id, 'pending')));
    const acked: string[] = [];
    const approved: string[] = [];
    let stop = false;
    let n = 0;
    const creator = async () => {
      while (!stop) {
        try {
          const r = await org.deploy(org.m3, env.id, { payload: { revision: `load-${n++}` } });
          if (r.status === 201) acked.push((r.body as { request: { id: string } }).request.id);
        } catch {
          /* the server died under us */
        }
      }
    };
    const approver = async () => {
      while (!stop && pending.length) {
        const p = pending.pop()!;
        try {
          const r = await org.m1.api.post(`/api/requests/${p.id}/approve`, {});
          if (r.status === 200) approved.push(p.id);
        } catch {
          /* the server died under us */
        }
      }
    };
    const workers = [...Array.from({ length: 12 }, creator), ...Array.from({ length: 4 }, approver)];
    await sleep(400);
    await server.kill9();
    stop = true;
    await Promise.all(workers);
    assert.ok(acked.length > 5, `only ${acked.length} writes acknowledged before the kill`);
    await server.start();
    const seen = new Map<string, string>();
    let cursor: string | null = null;
    do {
      const q: string = `/api/requests?environmentId=${env.id}&limit=500${cursor ? `&cursor=${cursor}` : ''}`;
      const page = expectOk(await org.m1.api.get(q), 200, RequestsResponse);
      for (const r of page.requests) seen.set(r.id, r.status);
      cursor = page.nextCursor;
    } while (cursor);
    const lost = acked.filter((id) => !seen.has(id));
    assert.deepEqual(lost, [], `${lost.length} of ${acked.length} acknowledged creations lost`);
    const unapproved = approved.filter((id) => seen.get(id) !== 'approved');
    assert.deepEqual(unapproved, [], `${unapproved.length} of ${approved.length} acknowledged approvals lost`);
    assert.equal((await verify()).ok, true);
  });
});

describe('SIGTERM', () => {
  test('SIGTERM → exit code 0', async () => {
    if (!server.running) await server.start();
    const exit = await server.stop();
    assert.deepEqual(exit, { code: 0, signal: null });
  });

  test('SIGTERM with an SSE stream open still exits 0 promptly', async () => {
    await server.start();
    const controller = new AbortController();
    const res = await fetch(new URL('/api/events', server.url), { headers: { authorization: `Bearer ${org.m1.token}` }, signal: controller.signal });
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    await reader.read(); // the initial event
    const t0 = performance.now();
    const exit = await server.stop(8000);
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.ok(performance.now() - t0 < 5000, `took ${performance.now() - t0} ms`);
    controller.abort();
  });

  test('SIGTERM while a keep-alive request is in flight: the request is answered and the process exits 0 within 5 s', async () => {
    await server.start();
    const env = await org.env({ protection: 'none' });
    const body = JSON.stringify({
      action: 'release.deploy',
      resource: { environmentId: env.id },
      justification: 'drain',
      payload: { revision: 'drain', diff: '+x\n'.repeat(50_000) },
    });
    const agent = new HttpAgent({ keepAlive: true });
    try {
      const url = new URL('/api/requests', server.url);
      const response = new Promise<{ status: number; text: string; connection: string | undefined }>((res, rej) => {
        const req = httpRequest(
          url,
          {
            method: 'POST',
            agent,
            headers: { authorization: `Bearer ${org.m1.token}`, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
          },
          (r) => {
            let text = '';
            r.setEncoding('utf8').on('data', (c: string) => (text += c));
            r.on('end', () => res({ status: r.statusCode ?? 0, text, connection: r.headers.connection }));
          },
        );
        req.on('error', rej);
        req.write(body.slice(0, 1000));
        // the server has the head and is reading the body when SIGTERM arrives
        void sleep(300).then(() => {
          server.proc.kill('SIGTERM');
          return sleep(300).then(() => req.end(body.slice(1000)));
        });
      });
      const r = await response;
      assert.equal(r.status, 201, `in-flight request drained: ${r.text.slice(0, 200)}`);
      const exit = await Promise.race([server.exit, sleep(5000).then(() => 'still running' as const)]);
      if (exit === 'still running') await server.kill9();
      assert.notEqual(exit, 'still running', 'server still running 5 s after SIGTERM (idle keep-alive connection of the drained request holds it open)');
      assert.deepEqual(exit, { code: 0, signal: null });
      await server.start();
      const id = (JSON.parse(r.text) as { request: { id: string } }).request.id;
      assert.equal(expectOk(await org.m1.api.get(`/api/requests/${id}`), 200, RequestDetailResponse).request.status, 'approved', 'acknowledged → durable');
    } finally {
      agent.destroy();
    }
  });

  test('a request refused during the drain gets the JSON error shape {error: {code, message}}', async () => {
    if (!server.running) await server.start();
    const env = await org.env({ protection: 'none' });
    const body = JSON.stringify({ action: 'release.deploy', resource: { environmentId: env.id }, justification: 'drain', payload: { revision: 'drain2' } });
    const url = new URL(server.url);
    const socket = connect(Number(url.port), url.hostname);
    let raw = '';
    socket.setEncoding('utf8').on('data', (c: string) => (raw += c));
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    socket.on('error', () => undefined);
    await new Promise<void>((r) => socket.once('connect', () => r()));
    const head = (len: number) =>
      `POST /api/requests HTTP/1.1\r\nhost: ${url.host}\r\nauthorization: Bearer ${org.m1.token}\r\ncontent-type: application/json\r\ncontent-length: ${len}\r\n\r\n`;
    socket.write(head(Buffer.byteLength(body)) + body.slice(0, 10));
    await sleep(300);
    server.proc.kill('SIGTERM');
    await sleep(300);
    // finish the in-flight request and pipeline a second one on the same connection
    socket.write(`${body.slice(10)}GET /api/me HTTP/1.1\r\nhost: ${url.host}\r\nauthorization: Bearer ${org.m1.token}\r\n\r\n`);
    await Promise.race([closed, sleep(5000)]);
    socket.destroy();
    const exit = await Promise.race([server.exit, sleep(5000).then(() => 'still running' as const)]);
    if (exit === 'still running') await server.kill9();
    const responses = [...raw.matchAll(/HTTP\/1\.1 (\d{3})[^\r]*\r\n([\s\S]*?)\r\n\r\n/g)];
    assert.ok(responses.length >= 1, `got a response: ${raw.slice(0, 300)}`);
    assert.equal(responses[0]![1], '201', 'the in-flight request is drained');
    if (responses.length > 1) {
      const status = Number(responses[1]![1]);
      const bodyStart = responses[1]!.index! + responses[1]![0].length;
      const len = Number(/content-length: (\d+)/i.exec(responses[1]![2]!)?.[1] ?? 0);
      const text = raw.slice(bodyStart, bodyStart + len);
      if (status >= 400) {
        const parsed = ErrorBody.safeParse(JSON.parse(text));
        assert.ok(parsed.success, `drain refusal (${status}) is not {error: {code, message}}: ${text}`);
      } else assert.equal(status, 200);
    }
  });

  test('requests acknowledged around SIGTERM are all durable', async () => {
    if (!server.running) await server.start();
    const env = await org.env({ protection: 'none' });
    const diff = `+${'q'.repeat(199)}\n`.repeat(5000); // ~1 MB each: parsing takes a moment
    const inflight = Array.from({ length: 8 }, (_, i) =>
      org
        .deploy(org.m1, env.id, { payload: { revision: `drain-${i}`, diff } })
        .then((r) => ({ ok: true as const, status: r.status, body: r.body as { request?: { id: string } } }))
        .catch((err: Error) => ({ ok: false as const, err })),
    );
    await sleep(30);
    const exitP = server.stop(3000);
    const results = await Promise.all(inflight);
    await exitP;
    const acked = results.filter((r) => r.ok && r.status === 201);
    for (const r of results) if (r.ok) assert.ok(r.status === 201 || r.status === 503, `status ${r.status}`);
    await server.start();
    for (const r of acked) {
      const id = r.ok ? r.body.request!.id : '';
      const d = expectOk(await org.m1.api.get(`/api/requests/${id}`), 200, RequestDetailResponse);
      assert.equal(d.request.status, 'approved');
    }
    assert.equal((await verify()).ok, true);
  });
});

describe('audit checkpoints across kill -9', () => {
  test('kill -9 while audited writes stream in: nothing acknowledged is lost, the chain verifies, every hundredth event kept its checkpoint, the restart signs the tail', async () => {
    if (!server.running) await server.start();
    const acked: string[] = [];
    let stopped = false;
    const writers = Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; !stopped; i++) {
        const name = `crash-${w}-${i}`;
        try {
          const r = await org.owner.api.post('/api/teams', { name });
          if (r.status === 201) acked.push(name);
        } catch {
          return; // the server died under this request: it was never acknowledged
        }
      }
    });
    // enough writes to cross two hundreds, then SIGKILL lands between some event and its checkpoint
    await waitFor(async () => acked.length >= 230, 120_000, 5);
    await server.kill9();
    stopped = true;
    await Promise.allSettled(writers);
    await server.start();

    const v = await verify();
    assert.equal(v.ok, true, JSON.stringify(v));
    if (!v.ok) return;
    const teams = new Set((expectOk(await org.owner.api.get('/api/teams'), 200, TeamsResponse).teams as { name: string }[]).map((t) => t.name));
    for (const name of acked) assert.ok(teams.has(name), `acknowledged team ${name} survived`);
    const cps = expectOk(await org.owner.api.get('/api/audit/checkpoints?after=0&limit=5000'), 200, AuditCheckpointsResponse).checkpoints.map((c) => c.seq);
    for (let s = 100; s <= v.count; s += 100) assert.ok(cps.includes(s), `the checkpoint of event ${s} committed with it`);
    assert.equal(v.checkpoint?.seq, v.count, 'the restarted server signed what the crash left unsigned');
  });
});

// Last: it breaks the chain of this data dir for good.
describe('audit tamper detection', () => {
  test('editing one audit row in the database makes /api/audit/verify report {ok: false, brokenAt: seq}', async () => {
    if (!server.running) await server.start();
    const before = await verify();
    assert.equal(before.ok, true);
    const page = expectOk(await org.owner.api.get('/api/audit?after=0&limit=5000'), 200, AuditResponse);
    const target = page.events[Math.floor(page.events.length / 2)]!;
    assert.ok(target.seq > 1);
    const exit = await server.stop();
    assert.equal(exit.code, 0);

    // while we're in the file: bearer tokens are stored hashed, never in clear
    for (const f of [join(dir, 'gatehouse.db'), join(dir, 'gatehouse.db-wal')]) {
      if (existsSync(f)) assert.ok(!readFileSync(f).includes(Buffer.from(org.owner.token)), `${f} holds a token in clear`);
    }

    await withDb(dir, async (db) => {
      const row = await db.get<{ details: string }>('SELECT details FROM audit WHERE seq = ?', target.seq);
      assert.ok(row, 'audit row exists');
      const details = JSON.parse(row.details) as Record<string, unknown>;
      details.tampered = 'quietly';
      assert.equal(await db.run('UPDATE audit SET details = ? WHERE seq = ?', JSON.stringify(details), target.seq), 1);
    });

    await server.start();
    const v = await verify();
    assert.deepEqual(v, { ok: false, brokenAt: target.seq, reason: 'hash' });
    // the API still serves the log, showing the edited row
    const edited = expectOk(await org.owner.api.get(`/api/audit?after=${target.seq - 1}&limit=1`), 200, AuditResponse).events[0]!;
    assert.equal(edited.seq, target.seq);
    assert.equal(edited.details.tampered, 'quietly');
  });
});
