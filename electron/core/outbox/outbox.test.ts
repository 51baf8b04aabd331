import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ApiError, NetworkError } from '../client/errors.ts';
import { Outbox, type OutboxClient } from './index.ts';

const dir = mkdtempSync(join(tmpdir(), 'gh-outbox-'));
/** Who queues and who drains in these tests (the identity checks have tests of their own). */
const ME = { userId: 'usr_me', userEmail: 'me@example.com', serverUrl: 'https://gh.example' };
test.after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(dir, `j${++n}`, 'outbox.jsonl');

type Answer = 'ok' | ApiError | NetworkError;
function fakeClient(answers: Record<string, Answer[]> = {}) {
  const calls: { method: string; id: string; key: string; body?: unknown }[] = [];
  const answer = async (method: string, id: string, key: string, body?: unknown) => {
    calls.push({ method, id, key, ...(body !== undefined ? { body } : {}) });
    const a = answers[id]?.shift() ?? 'ok';
    if (a !== 'ok') throw a;
    return { id };
  };
  const c = {
    approve: (id: string, body: unknown, key: string) => answer('approve', id, key, body),
    reject: (id: string, body: unknown, key: string) => answer('reject', id, key, body),
    cancel: (id: string, key: string) => answer('cancel', id, key),
    freeze: (id: string, body: unknown, key: string) => answer('freeze', id, key, body),
    unfreeze: (id: string, body: unknown, key: string) => answer('unfreeze', id, key, body),
    startBreakGlass: (body: unknown, key: string) => answer('breakglass.start', 'bg', key, body),
    revokeBreakGlass: (id: string, key: string) => answer('breakglass.revoke', id, key),
  } as unknown as OutboxClient;
  return { c, calls };
}

test('enqueue is durable, validated, and replayed on open', async () => {
  const file = fresh();
  const box = await Outbox.open(file);
  const a = await box.enqueue({ type: 'approve', requestId: 'req_1', comment: 'lgtm', reviewedDigest: 'd1' }, ME);
  const b = await box.enqueue({ type: 'freeze', environmentId: 'env_1', reason: 'incident' }, ME);
  await assert.rejects(box.enqueue({ type: 'freeze', environmentId: 'env_1', reason: '' }, ME));
  await assert.rejects(box.enqueue({ type: 'breakglass.start', reason: 'short', scope: { actions: ['release.deploy'] }, durationMinutes: 60 }, ME));
  await assert.rejects(box.enqueue({ type: 'nope' } as never, ME));
  assert.notEqual(a.idempotencyKey, b.idempotencyKey);
  assert.equal(readFileSync(file, 'utf8').trim().split('\n').length, 2);
  await box.close();
  const again = await Outbox.open(file);
  assert.deepEqual(
    again.list().map((e) => [e.id, e.idempotencyKey, e.op.type, e.state]),
    [
      [a.id, a.idempotencyKey, 'approve', 'queued'],
      [b.id, b.idempotencyKey, 'freeze', 'queued'],
    ],
  );
  await again.close();
});

test('a torn last line is cut off; the rest survives and appends stay readable', async () => {
  const file = fresh();
  const box = await Outbox.open(file);
  const a = await box.enqueue({ type: 'cancel', requestId: 'req_1' }, ME);
  await box.close();
  appendFileSync(file, '{"t":"enqueue","id":"x","key":"k","op":{"type":"can');
  const b1 = await Outbox.open(file);
  assert.equal(b1.recovery.tornTail, true);
  assert.deepEqual(
    b1.list().map((e) => e.id),
    [a.id],
  );
  const b = await b1.enqueue({ type: 'reject', requestId: 'req_2' }, ME);
  await b1.close();
  const b2 = await Outbox.open(file);
  assert.deepEqual(
    b2.list().map((e) => e.id),
    [a.id, b.id],
  );
  assert.equal(b2.recovery.tornTail, false);
  await b2.close();
});

test('drain sends in order with the keys; 2xx removes, conflicts stay visible until dismissed', async () => {
  const file = fresh();
  const box = await Outbox.open(file);
  const changes: number[] = [];
  box.onChange((l) => changes.push(l.length));
  const e1 = await box.enqueue({ type: 'approve', requestId: 'r1' }, ME);
  const e2 = await box.enqueue({ type: 'approve', requestId: 'r2', comment: 'x' }, ME);
  const e3 = await box.enqueue({ type: 'reject', requestId: 'r3' }, ME);
  const e4 = await box.enqueue({ type: 'breakglass.revoke', sessionId: 's1' }, ME);
  const { c, calls } = fakeClient({
    r2: [new ApiError(409, 'already_reviewed', 'already reviewed')],
    r3: [new ApiError(412, 'stale_review', 'the diff changed')],
  });
  const applied: string[] = [];
  const r = await box.drain(c, { identity: ME, onApplied: (e) => applied.push(e.id) });
  assert.deepEqual(r, { sent: 2, conflicts: 2, remaining: 0 });
  assert.deepEqual(
    calls.map((x) => [x.id, x.key]),
    [
      ['r1', e1.idempotencyKey],
      ['r2', e2.idempotencyKey],
      ['r3', e3.idempotencyKey],
      ['s1', e4.idempotencyKey],
    ],
  );
  assert.deepEqual(applied, [e1.id, e4.id]);
  assert.deepEqual(
    box.list().map((e) => [e.id, e.state, e.error]),
    [
      [e2.id, 'conflict', { status: 409, code: 'already_reviewed', message: 'already reviewed' }],
      [e3.id, 'conflict', { status: 412, code: 'stale_review', message: 'the diff changed' }],
    ],
  );
  assert.ok(changes.length > 4);
  await box.close();
  const re = await Outbox.open(file);
  assert.deepEqual(
    re.list().map((e) => [e.id, e.state, e.error?.code]),
    [
      [e2.id, 'conflict', 'already_reviewed'],
      [e3.id, 'conflict', 'stale_review'],
    ],
  );
  assert.equal(await re.dismiss(e2.id), true);
  assert.equal(await re.dismiss('nope'), false);
  await re.close();
  const re2 = await Outbox.open(file);
  assert.deepEqual(
    re2.list().map((e) => e.id),
    [e3.id],
  );
  await re2.close();
});

test('a network error stops the drain and keeps order; the next drain resumes with the same key', async () => {
  const box = await Outbox.open(fresh());
  const e1 = await box.enqueue({ type: 'approve', requestId: 'r1' }, ME);
  const e2 = await box.enqueue({ type: 'approve', requestId: 'r2' }, ME);
  const { c, calls } = fakeClient({ r1: [new NetworkError('offline', 'connection refused')] });
  const r = await box.drain(c, { identity: ME });
  assert.equal(r.sent, 0);
  assert.equal(r.remaining, 2);
  assert.equal(r.stoppedBy, 'connection refused');
  assert.deepEqual(
    calls.map((x) => x.id),
    ['r1'],
  );
  assert.equal(box.get(e1.id)?.lastError, 'connection refused');
  const r2 = await box.drain(c, { identity: ME });
  assert.deepEqual(r2, { sent: 2, conflicts: 0, remaining: 0 });
  assert.deepEqual(
    calls.map((x) => x.key),
    [e1.idempotencyKey, e1.idempotencyKey, e2.idempotencyKey],
  );
  // 5xx and 401 also keep it queued
  const e3 = await box.enqueue({ type: 'cancel', requestId: 'r3' }, ME);
  const f = fakeClient({ r3: [new ApiError(503, 'unavailable', 'down'), new ApiError(401, 'unauthorized', 'who?')] });
  assert.equal((await box.drain(f.c, { identity: ME })).remaining, 1);
  assert.equal((await box.drain(f.c, { identity: ME })).remaining, 1);
  assert.equal(box.get(e3.id)?.state, 'queued');
  assert.equal((await box.drain(f.c, { identity: ME })).sent, 1);
  await box.close();
});

test('concurrent drains join one run; entries queued during a drain are sent by it', async () => {
  const box = await Outbox.open(fresh());
  await box.enqueue({ type: 'approve', requestId: 'r1' }, ME);
  const { c, calls } = fakeClient();
  const p1 = box.drain(c, { identity: ME });
  const later = box.enqueue({ type: 'approve', requestId: 'r2' }, ME);
  const p2 = box.drain(c, { identity: ME });
  await later;
  const [a, b] = await Promise.all([p1, p2]);
  assert.equal(a, b);
  assert.deepEqual(
    calls.map((x) => x.id),
    ['r1', 'r2'],
  );
  assert.equal(box.list().length, 0);
  await box.close();
});

test('concurrent enqueues share fsyncs and all land in order', async () => {
  const file = fresh();
  const box = await Outbox.open(file);
  const entries = await Promise.all(Array.from({ length: 200 }, (_, i) => box.enqueue({ type: 'approve', requestId: `r${i}` }, ME)));
  await box.close();
  const re = await Outbox.open(file);
  assert.deepEqual(
    re.list().map((e) => e.id),
    entries.map((e) => e.id),
  );
  await re.close();
});

test('the journal is compacted when it grows, keeping live entries and conflicts', async () => {
  const file = fresh();
  const box = await Outbox.open(file, { compactAfter: 20 });
  const keep = await box.enqueue({ type: 'approve', requestId: 'keep' }, ME);
  const conflict = await box.enqueue({ type: 'approve', requestId: 'bad' }, ME);
  const { c } = fakeClient({ keep: [new NetworkError('offline', 'x')], bad: [new ApiError(404, 'not_found', 'request not found')] });
  for (let i = 0; i < 60; i++) await box.enqueue({ type: 'approve', requestId: `r${i}` }, ME);
  await box.drain(c, { identity: ME }); // keep: network error, stops
  await box.drain(c, { identity: ME }); // keep ok now; bad → conflict; r* sent
  const k2 = await box.enqueue({ type: 'unfreeze', environmentId: 'env_1' }, ME);
  assert.ok(box.journalLines <= 20, `compacted: ${box.journalLines} lines`);
  await box.close();
  const re = await Outbox.open(file);
  assert.deepEqual(
    re.list().map((e) => [e.id, e.state]),
    [
      [conflict.id, 'conflict'],
      [k2.id, 'queued'],
    ],
  );
  void keep;
  await re.close();
});

test('garbage in the middle of a journal is skipped, not fatal', async () => {
  const file = fresh();
  const box = await Outbox.open(file);
  const a = await box.enqueue({ type: 'approve', requestId: 'r1' }, ME);
  await box.close();
  appendFileSync(file, 'not json\n');
  const re = await Outbox.open(file);
  assert.equal(re.recovery.skippedLines, 1);
  assert.deepEqual(
    re.list().map((e) => e.id),
    [a.id],
  );
  await re.close();
  writeFileSync(file, '');
  const empty = await Outbox.open(file);
  assert.equal(empty.list().length, 0);
  await empty.close();
});

test("the attack: an entry queued by one user is never sent under another user's or another server's identity", async () => {
  const file = fresh();
  const box = await Outbox.open(file);
  const entries = [
    await box.enqueue({ type: 'approve', requestId: 'req_other_user' }, ME),
    await box.enqueue({ type: 'approve', requestId: 'req_other_server' }, ME),
    await box.enqueue({ type: 'approve', requestId: 'req_other_db' }, { ...ME, serverId: 'srv_1' }),
  ];
  const { c, calls } = fakeClient();
  const asSam = await box.drain(c, { identity: { userId: 'usr_sam', serverUrl: ME.serverUrl } });
  assert.deepEqual(asSam, { sent: 0, conflicts: 3, remaining: 0 });
  assert.deepEqual(calls, [], "nothing was sent with Sam's token");
  for (const e of box.list()) {
    assert.equal(e.state, 'conflict');
    assert.deepEqual(e.error, {
      status: 0,
      code: 'other_identity',
      message: 'queued by me@example.com for server https://gh.example; not sent under another identity',
    });
  }
  assert.equal(await box.dismiss(entries[0]!.id), true);
  await box.close();
  // kept as conflicts across a restart, never sent later even as their own user
  const again = await Outbox.open(file);
  assert.deepEqual((await again.drain(c, { identity: ME })).sent, 0);
  assert.equal(again.list().length, 2);
  await again.close();
});

test('identity: user, server URL and (when both are known) the server id must all match', async () => {
  const box = await Outbox.open(fresh());
  const { c, calls } = fakeClient();
  await box.enqueue({ type: 'cancel', requestId: 'req_a' }, ME);
  await box.enqueue({ type: 'cancel', requestId: 'req_b' }, { ...ME, serverId: 'srv_1' });
  await box.enqueue({ type: 'cancel', requestId: 'req_c' }, { ...ME, serverId: 'srv_1' });
  await box.enqueue({ type: 'cancel', requestId: 'req_d' }, ME);
  const r1 = await box.drain(c, { identity: { userId: ME.userId, serverUrl: 'https://other.example' } });
  assert.equal(r1.conflicts, 4);
  const box2 = await Outbox.open(fresh());
  await box2.enqueue({ type: 'cancel', requestId: 'req_e' }, { ...ME, serverId: 'srv_1' });
  await box2.enqueue({ type: 'cancel', requestId: 'req_f' }, { ...ME, serverId: 'srv_2' });
  await box2.enqueue({ type: 'cancel', requestId: 'req_g' }, ME);
  const r2 = await box2.drain(c, { identity: { ...ME, serverId: 'srv_1' } });
  assert.deepEqual(r2, { sent: 2, conflicts: 1, remaining: 0 });
  assert.deepEqual(
    calls.map((x) => x.id),
    ['req_e', 'req_g'],
  );
  await box.close();
  await box2.close();
});

test('journal lines from before owners were recorded still load, as conflicts that are never sent', async () => {
  const file = fresh();
  (await Outbox.open(file)).close();
  appendFileSync(
    file,
    `${JSON.stringify({ t: 'enqueue', id: 'old-1', key: 'gh-outbox-old', op: { type: 'approve', requestId: 'req_old' }, queuedAt: '2026-01-01T00:00:00.000Z' })}\n`,
  );
  const box = await Outbox.open(file);
  assert.equal(box.list()[0]?.state, 'queued');
  assert.equal(box.list()[0]?.owner, undefined);
  const { c, calls } = fakeClient();
  assert.deepEqual(await box.drain(c, { identity: ME }), { sent: 0, conflicts: 1, remaining: 0 });
  assert.deepEqual(calls, []);
  assert.match(box.list()[0]!.error!.message, /earlier version that did not record who queued it/);
  await box.close();
});

test('sign-out sets queued entries aside as conflicts: not sent later, not even to the same user', async () => {
  const file = fresh();
  const box = await Outbox.open(file);
  const { c, calls } = fakeClient({ req_x: [new ApiError(409, 'already_reviewed', 'already reviewed')] });
  await box.enqueue({ type: 'approve', requestId: 'req_x' }, ME);
  await box.drain(c, { identity: ME });
  await box.enqueue({ type: 'approve', requestId: 'req_y' }, ME);
  await box.enqueue({ type: 'freeze', environmentId: 'env_1', reason: 'incident' }, ME);
  assert.equal(await box.setAside(), 2);
  assert.equal(box.pendingCount, 0);
  const codes = box.list().map((e) => e.error?.code);
  assert.deepEqual(codes, ['already_reviewed', 'signed_out', 'signed_out']);
  assert.match(box.list()[1]!.error!.message, /queued by me@example\.com for server https:\/\/gh\.example; signed out before it was sent/);
  await box.close();
  const again = await Outbox.open(file);
  assert.equal((await again.drain(c, { identity: ME })).sent, 0);
  assert.equal(calls.length, 1, 'only the first, before sign-out');
  await again.close();
});

// ---- undo windows ---------------------------------------------------------------------------------

/** A clock the test moves by hand. */
function handClock(startIso = '2026-03-10T08:00:00.000Z') {
  let ms = Date.parse(startIso);
  return { now: () => new Date(ms), advance: (by: number) => void (ms += by) };
}

test('a held entry is not sent before its hold ends, and is sent once it has', async () => {
  const clock = handClock();
  const box = await Outbox.open(fresh(), { now: clock.now });
  const held = await box.enqueue({ type: 'approve', requestId: 'req_1' }, ME, { holdMs: 5000 });
  const plain = await box.enqueue({ type: 'reject', requestId: 'req_2', comment: 'no' }, ME);
  assert.equal(held.holdUntil, '2026-03-10T08:00:05.000Z');
  assert.equal(plain.holdUntil, undefined);
  const { c, calls } = fakeClient();
  const first = await box.drain(c, { identity: ME });
  assert.deepEqual(
    calls.map((x) => x.id),
    ['req_2'],
    'the held one is skipped, the others are not held up by it',
  );
  assert.equal(first.remaining, 1);
  clock.advance(4999);
  await box.drain(c, { identity: ME });
  assert.equal(calls.length, 1, 'still inside the window');
  clock.advance(1);
  await box.drain(c, { identity: ME });
  assert.deepEqual(
    calls.map((x) => x.id),
    ['req_2', 'req_1'],
  );
  assert.equal(box.list().length, 0);
  await assert.rejects(box.enqueue({ type: 'cancel', requestId: 'req_3' }, ME, { holdMs: 0 }), /holdMs/);
  await assert.rejects(box.enqueue({ type: 'cancel', requestId: 'req_3' }, ME, { holdMs: 600_000 }), /holdMs/);
  assert.equal(box.list().length, 0, 'a bad hold queues nothing');
  await box.close();
});

test('onHoldEnd fires when the hold ends, so the connection can drain', async () => {
  const box = await Outbox.open(fresh());
  let ended = 0;
  const done = new Promise<void>((resolve) => box.onHoldEnd(() => (++ended, resolve())));
  const started = performance.now();
  await box.enqueue({ type: 'approve', requestId: 'req_1' }, ME, { holdMs: 60 });
  await done;
  assert.ok(performance.now() - started >= 55, 'not before the hold ends');
  assert.equal(ended, 1);
  const { c, calls } = fakeClient();
  await box.drain(c, { identity: ME });
  assert.equal(calls.length, 1, 'due now');
  await box.close();
});

test('undo removes a held entry before it is sent, durably; an undone entry is never sent', async () => {
  const clock = handClock();
  const file = fresh();
  const box = await Outbox.open(file, { now: clock.now });
  const held = await box.enqueue({ type: 'approve', requestId: 'req_1' }, ME, { holdMs: 5000 });
  assert.equal(await box.undo(held.id), 'undone');
  assert.equal(box.list().length, 0);
  assert.equal(await box.undo(held.id), 'unknown', 'twice: nothing left to undo');
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8').trim().split('\n').at(-1)!), { t: 'undo', id: held.id });
  clock.advance(10_000);
  const { c, calls } = fakeClient();
  await box.drain(c, { identity: ME });
  assert.equal(calls.length, 0);
  await box.close();
  const again = await Outbox.open(file, { now: clock.now });
  assert.equal(again.list().length, 0, 'replay: the undo record removes it');
  await again.drain(c, { identity: ME });
  assert.equal(calls.length, 0);
  await again.close();
});

test('undo too late: sent, being sent, a conflict, or never held', async () => {
  const clock = handClock();
  const box = await Outbox.open(fresh(), { now: clock.now });
  const sent = await box.enqueue({ type: 'approve', requestId: 'req_1' }, ME, { holdMs: 5000 });
  const refused = await box.enqueue({ type: 'approve', requestId: 'req_2' }, ME, { holdMs: 5000 });
  const plain = await box.enqueue({ type: 'cancel', requestId: 'req_3' }, ME);
  assert.equal(await box.undo(plain.id), 'not_held');
  clock.advance(5000);
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  const { c, calls } = fakeClient({ req_2: [new ApiError(409, 'not_pending', 'request is approved')] });
  const slow = {
    ...c,
    approve: async (...args: Parameters<OutboxClient['approve']>) => {
      await gate;
      return c.approve(...args);
    },
  } as OutboxClient;
  const draining = box.drain(slow, { identity: ME });
  await new Promise((r) => setImmediate(r));
  assert.equal(box.get(sent.id)?.state, 'sending');
  assert.equal(await box.undo(sent.id), 'sending');
  release();
  await draining;
  assert.equal(await box.undo(sent.id), 'unknown', 'sent: gone from the outbox');
  assert.equal(await box.undo(refused.id), 'conflict');
  assert.deepEqual(
    calls.map((x) => x.id),
    ['req_1', 'req_2', 'req_3'],
  );
  await box.close();
});

test('replay: a held entry keeps its hold, and is still sent after a crash during the window', async () => {
  const clock = handClock();
  const file = fresh();
  const box = await Outbox.open(file, { now: clock.now });
  const held = await box.enqueue({ type: 'approve', requestId: 'req_1', review: { diffShown: false, filesViewed: 0, filesTotal: 3 } }, ME, { holdMs: 5000 });
  await box.close(); // the crash: nobody undid it
  const again = await Outbox.open(file, { now: clock.now });
  assert.equal(again.get(held.id)?.holdUntil, '2026-03-10T08:00:05.000Z');
  const { c, calls } = fakeClient();
  await again.drain(c, { identity: ME });
  assert.equal(calls.length, 0, 'the window is still open after the restart');
  clock.advance(5000);
  await again.drain(c, { identity: ME });
  assert.deepEqual(calls[0]?.body, { review: { diffShown: false, filesViewed: 0, filesTotal: 3 } }, 'sent with its review');
  await again.close();
});

test('replay: journals written before holds existed, mixed with undo records, still replay', async () => {
  const file = fresh();
  const owner = { userId: ME.userId, serverUrl: ME.serverUrl };
  const lines = [
    { t: 'enqueue', id: 'a', key: 'ka', op: { type: 'cancel', requestId: 'req_1' }, queuedAt: '2026-03-10T07:00:00.000Z', owner },
    {
      t: 'enqueue',
      id: 'b',
      key: 'kb',
      op: { type: 'approve', requestId: 'req_2' },
      queuedAt: '2026-03-10T07:00:01.000Z',
      owner,
      holdUntil: '2026-03-10T07:00:06.000Z',
    },
    { t: 'undo', id: 'b' },
    {
      t: 'enqueue',
      id: 'c',
      key: 'kc',
      op: { type: 'approve', requestId: 'req_3' },
      queuedAt: '2026-03-10T07:00:02.000Z',
      owner,
      holdUntil: '2026-03-10T07:00:07.000Z',
    },
  ];
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
  const box = await Outbox.open(file, { now: handClock('2026-03-10T08:00:00.000Z').now });
  assert.equal(box.recovery.skippedLines, 0);
  assert.deepEqual(
    box.list().map((e) => [e.id, e.holdUntil]),
    [
      ['a', undefined],
      ['c', '2026-03-10T07:00:07.000Z'],
    ],
  );
  const { c, calls } = fakeClient();
  await box.drain(c, { identity: ME });
  assert.deepEqual(
    calls.map((x) => x.id),
    ['req_1', 'req_3'],
    'a hold that ended while the console was closed is sent at once',
  );
  await box.close();
});
