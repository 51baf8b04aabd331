import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { environment, gate, user } from '../../../shared/policy/testing.ts';
import type { ApprovalRequest, BreakGlassSession, Environment, SyncChange, SyncEntity, User } from '../../../shared/schemas/index.ts';
import type { NotificationSink } from '../contracts.ts';
import { NotificationSettings } from '../../../shared/desktop/settings.ts';
import type { NotifierClock } from './index.ts';
import type { NoticeTarget } from '../../../shared/ipc.ts';
import { Notifier, approvableCount, inQuietHours, minutesOfDay } from './index.ts';

// ---- fakes --------------------------------------------------------------------------------------

class FakeClock implements NotifierClock {
  t: number;
  #timers = new Map<number, { at: number; fn: () => void }>();
  #next = 1;
  constructor(iso: string) {
    this.t = Date.parse(iso);
  }
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#next++;
    this.#timers.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }
  get pending(): number {
    return this.#timers.size;
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let due: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.#timers) if (e[1].at <= end && (due === undefined || e[1].at < due[1].at)) due = e;
      if (due === undefined) break;
      this.#timers.delete(due[0]);
      this.t = due[1].at;
      due[1].fn();
    }
    this.t = end;
  }
}

type Shown = { id: string; title: string; body: string; urgent?: boolean };
class FakeSink implements NotificationSink {
  log: string[] = [];
  shown: Shown[] = [];
  open = new Map<string, Shown>();
  show(n: Shown): void {
    this.log.push(`show ${n.id}`);
    this.shown.push(n);
    this.open.set(n.id, n);
  }
  close(id: string): void {
    this.log.push(`close ${id}`);
    this.open.delete(id);
  }
}

// ---- fixtures -----------------------------------------------------------------------------------

const alice = user('alice', { name: 'Alice', teamIds: ['platform'] }); // me
const bob = user('bob', { name: 'Bob', teamIds: ['platform'] });
const rick = user('rick', { name: 'Rick', teamIds: ['sre'] });
const prod = environment('env_prod', { name: 'production', projectId: 'proj_api', protection: 'restricted' });

const platformGate = gate('platform', { approvers: { userIds: [], teamIds: ['platform'], orgRoles: [] } });
const selfGate = gate('self', { approvers: { userIds: [], teamIds: ['platform'], orgRoles: [] }, requesterCanApprove: true });

const T0 = '2026-11-23T10:00:00.000Z';

function request(id: string, over: Partial<ApprovalRequest> = {}): ApprovalRequest {
  return {
    id,
    action: 'release.deploy',
    resource: { projectId: 'proj_api', environmentId: 'env_prod' },
    requesterId: 'rick',
    justification: 'ship the fix',
    payload: { diffBytes: 10, diffLines: 2 },
    digest: 'abc',
    gates: [platformGate],
    decisions: [],
    status: 'pending',
    warnings: [],
    nudges: [],
    createdAt: T0,
    updatedAt: T0,
    expiresAt: '2026-11-24T10:00:00.000Z',
    ...over,
  };
}

function bgSession(id: string, over: Partial<BreakGlassSession> = {}): BreakGlassSession {
  return {
    id,
    userId: 'rick',
    reason: 'INC-42 api down',
    scope: { actions: ['release.deploy'], environmentIds: ['env_prod'] },
    startedAt: T0,
    expiresAt: '2026-11-23T11:00:00.000Z',
    ...over,
  };
}

let seq = 0;
function up<T extends { id: string }>(entity: SyncEntity, data: T): SyncChange {
  return { seq: ++seq, entity, id: data.id, op: 'upsert', data };
}

/** The notifier wired to fakes and a tiny cache, applied after observe as the sync engine does. */
/** Lets the notifier's pending look-ups (who cancelled) answer. */
const settle = () => new Promise((r) => setImmediate(r));

function setup(opts: { settings?: Partial<NotificationSettings>; me?: User; at?: string; cancelledBy?: (id: string) => Promise<string | undefined> } = {}) {
  const clock = new FakeClock(opts.at ?? T0);
  const sink = new FakeSink();
  const cache = new Map<string, unknown>();
  let settings = NotificationSettings.parse(opts.settings ?? {});
  let me: User = opts.me ?? alice;
  const users = new Map([alice, bob, rick].map((u) => [u.id, u]));
  const notifier = new Notifier({
    sink,
    clock,
    timeZone: 'UTC',
    me: () => me,
    settings: () => settings,
    directory: {
      user: (id) => users.get(id),
      environment: (id) => (cache.get(`environment/${id}`) as Environment | undefined) ?? (id === prod.id ? prod : undefined),
      project: (id) => (id === 'proj_api' ? { id, name: 'api' } : undefined),
    },
    ...(opts.cancelledBy ? { cancelledBy: opts.cancelledBy } : {}),
  });
  const sync = (changes: SyncChange[], bootstrapping = false) => {
    notifier.observe(changes, (entity, id) => cache.get(`${entity}/${id}`), { bootstrapping });
    for (const c of changes) {
      if (c.op === 'delete') cache.delete(`${c.entity}/${c.id}`);
      else cache.set(`${c.entity}/${c.id}`, c.data);
    }
  };
  return {
    clock,
    sink,
    notifier,
    sync,
    setSettings: (s: Partial<NotificationSettings>) => (settings = NotificationSettings.parse({ ...settings, ...s })),
    setMe: (u: User) => (me = u),
  };
}

const target = (t: NoticeTarget | undefined) => t;

// ---- tests --------------------------------------------------------------------------------------

describe('(a) new requests I can approve', () => {
  test('one notification with requester, action and resource; a click opens the request', () => {
    const h = setup();
    h.sync([up('request', request('req_1'))]);
    assert.equal(h.sink.shown.length, 1);
    const n = h.sink.shown[0]!;
    assert.equal(n.id, 'request:req_1');
    assert.equal(n.title, 'New request awaiting your approval');
    assert.equal(n.body, 'Rick: release.deploy on api/production\n“ship the fix”');
    assert.equal(n.urgent, undefined);
    assert.deepEqual(target(h.notifier.target(n.id)), { kind: 'request', id: 'req_1' });
  });

  test('attack: a justification with markup and controls → the OS gets plain, capped text', () => {
    const h = setup();
    h.sync([up('request', request('req_x', { justification: `<a href="https://evil.example">urgent</a>\u202e <img src=x>${'y'.repeat(5000)}` }))]);
    const n = h.sink.shown[0]!;
    assert.doesNotMatch(n.body, /[<>\u202e]|href|img/);
    assert.ok(n.body.startsWith('Rick: release.deploy on api/production\n“urgent'), n.body);
    assert.ok([...n.body].length <= 500);
  });

  test('nothing while bootstrapping', () => {
    const h = setup();
    h.sync([up('request', request('req_1')), up('request', request('req_2')), up('breakglass', bgSession('bg_1'))], true);
    assert.deepEqual(h.sink.log, []);
  });

  test('nothing for requests I cannot approve, my own requests, updates, or requests already past expiry', () => {
    const h = setup();
    h.sync([
      up('request', request('req_other', { gates: [gate('sre', { approvers: { userIds: [], teamIds: ['sre'], orgRoles: [] } })] })),
      up('request', request('req_mine', { requesterId: 'alice', gates: [selfGate] })),
      up('request', request('req_done', { status: 'approved' })),
      up('request', request('req_old', { expiresAt: '2026-11-23T09:59:59.000Z' })),
      up('request', request('req_decided', { decisions: [{ userId: 'alice', kind: 'approve', at: T0 }] })),
    ]);
    assert.deepEqual(h.sink.log, []);
    // An update of a request already cached is not "new".
    h.sync([up('request', request('req_other', { updatedAt: '2026-11-23T10:00:01.000Z' }))]);
    assert.deepEqual(h.sink.log, []);
  });

  test('switched off by newRequests=false or enabled=false', () => {
    for (const s of [{ newRequests: false }, { enabled: false }]) {
      const h = setup({ settings: s });
      h.sync([up('request', request('req_1'))]);
      assert.deepEqual(h.sink.log, [], JSON.stringify(s));
    }
  });

  test('a newer copy of me in the same page decides approvability', () => {
    const h = setup();
    h.sync([up('user', { ...alice, teamIds: ['sre'] }), up('request', request('req_1'))]);
    assert.deepEqual(h.sink.log, []);
  });
});

describe('(b) my own requests decided', () => {
  test('approved or rejected by someone else is notified; decided by me is not', () => {
    const h = setup();
    const mine = request('req_m', { requesterId: 'alice', gates: [selfGate] });
    const mine2 = request('req_m2', { requesterId: 'alice', gates: [selfGate] });
    const mine3 = request('req_m3', { requesterId: 'alice', gates: [selfGate] });
    h.sync([up('request', mine), up('request', mine2), up('request', mine3)], true);

    h.sync([up('request', { ...mine, status: 'approved', decisions: [{ userId: 'bob', kind: 'approve', at: T0 }] })]);
    assert.deepEqual(h.sink.shown.at(-1), {
      id: 'request:req_m:approved',
      title: 'Your request was approved',
      body: 'release.deploy on api/production — approved by Bob',
    });
    assert.deepEqual(h.notifier.target('request:req_m:approved'), { kind: 'request', id: 'req_m' });

    h.sync([up('request', { ...mine2, status: 'rejected', decisions: [{ userId: 'bob', kind: 'reject', comment: 'not on a Friday', at: T0 }] })]);
    assert.equal(h.sink.shown.at(-1)?.title, 'Your request was rejected');
    assert.equal(h.sink.shown.at(-1)?.body, 'release.deploy on api/production — rejected by Bob: “not on a Friday”');

    const count = h.sink.shown.length;
    h.sync([up('request', { ...mine3, status: 'approved', decisions: [{ userId: 'alice', kind: 'approve', at: T0 }] })]);
    assert.equal(h.sink.shown.length, count);
  });

  test("someone else's request decided: nothing; myRequests=false: nothing for mine approved, expired or cancelled by an admin", async () => {
    const h = setup({ settings: { myRequests: false }, cancelledBy: async () => 'bob' });
    const other = request('req_o', { gates: [gate('sre', { approvers: { userIds: [], teamIds: ['sre'], orgRoles: [] } })] });
    const mine = request('req_m', { requesterId: 'alice' });
    const mine2 = request('req_m2', { requesterId: 'alice' });
    const mine3 = request('req_m3', { requesterId: 'alice' });
    h.sync([up('request', other), up('request', mine), up('request', mine2), up('request', mine3)], true);
    h.sync([
      up('request', { ...other, status: 'approved' }),
      up('request', { ...mine, status: 'approved', decisions: [{ userId: 'bob', kind: 'approve', at: T0 }] }),
      up('request', { ...mine2, status: 'expired' }),
      up('request', { ...mine3, status: 'cancelled' }),
    ]);
    await settle();
    assert.deepEqual(h.sink.log, []);
  });

  test('mine expired: notified, a click opens it', () => {
    const h = setup();
    const mine = request('req_m', { requesterId: 'alice' });
    h.sync([up('request', mine)], true);
    h.sync([up('request', { ...mine, status: 'expired' })]);
    assert.deepEqual(h.sink.shown, [
      { id: 'request:req_m:expired', title: 'Your request expired', body: 'release.deploy on api/production — it expired before it was approved' },
    ]);
    assert.deepEqual(h.notifier.target('request:req_m:expired'), { kind: 'request', id: 'req_m' });
  });

  test('mine cancelled by an admin (the audit log says who): notified with their name; cancelled by me, from this app or elsewhere: nothing', async () => {
    const actors = new Map([
      ['req_admin', 'bob'],
      ['req_cli', 'alice'],
    ]);
    const asked: string[] = [];
    const h = setup({
      cancelledBy: async (id) => {
        asked.push(id);
        return actors.get(id);
      },
    });
    const [byAdmin, fromHere, fromCli, unknown] = ['req_admin', 'req_here', 'req_cli', 'req_unknown'].map((id) => request(id, { requesterId: 'alice' }));
    h.sync([up('request', byAdmin!), up('request', fromHere!), up('request', fromCli!), up('request', unknown!)], true);

    h.notifier.noteOwnAction({ kind: 'request', id: 'req_here' });
    h.sync([up('request', { ...fromHere!, status: 'cancelled' })]);
    h.sync([up('request', { ...fromCli!, status: 'cancelled' })]);
    h.sync([up('request', { ...unknown!, status: 'cancelled' })]);
    await settle();
    assert.deepEqual(h.sink.log, [], 'my own cancels, and one nobody can name, raise nothing');
    assert.deepEqual(asked, ['req_cli', 'req_unknown'], 'a cancel made from this app needs no look-up');

    h.sync([up('request', { ...byAdmin!, status: 'cancelled' })]);
    await settle();
    assert.deepEqual(h.sink.shown, [
      { id: 'request:req_admin:cancelled', title: 'Your request was cancelled', body: 'release.deploy on api/production — cancelled by Bob' },
    ]);
    assert.deepEqual(h.notifier.target('request:req_admin:cancelled'), { kind: 'request', id: 'req_admin' });
  });

  test('without a way to ask who cancelled, or when asking fails: nothing', async () => {
    for (const cancelledBy of [undefined, () => Promise.reject(new Error('offline'))]) {
      const h = setup(cancelledBy ? { cancelledBy } : {});
      const mine = request('req_m', { requesterId: 'alice' });
      h.sync([up('request', mine)], true);
      h.sync([up('request', { ...mine, status: 'cancelled' })]);
      await settle();
      assert.deepEqual(h.sink.log, []);
    }
  });
});

describe('(c) freezes', () => {
  const frozen = (by: string, reason: string, until?: string): Environment => ({
    ...prod,
    protection: 'locked',
    freeze: { by, at: '2026-11-23T10:00:00.000Z', reason, ...(until ? { until } : {}), previousProtection: 'restricted' },
  });

  test('frozen: who and why, a click opens the environment; unfrozen by an approved request: who and why, the frozen one withdrawn', () => {
    const h = setup();
    h.sync([up('environment', prod)], true);
    h.sync([up('environment', frozen('bob', 'incident INC-7', '2026-11-23T18:00:00.000Z'))]);
    const n = h.sink.shown[0]!;
    assert.equal(n.title, 'production frozen');
    assert.equal(n.body, 'Bob froze production: incident INC-7\nUntil 18:00');
    assert.deepEqual(h.notifier.target(n.id), { kind: 'environment', id: 'env_prod' });

    const unfreezeReq = request('req_u', {
      action: 'environment.unfreeze',
      requesterId: 'rick',
      justification: 'resolved',
      resource: { environmentId: 'env_prod', projectId: 'proj_api' },
    });
    h.sync([up('request', unfreezeReq)], false);
    h.sync([up('request', { ...unfreezeReq, status: 'approved' }), up('environment', prod)]);
    assert.ok(h.sink.log.includes(`close ${n.id}`));
    const u = h.sink.shown.at(-1)!;
    assert.equal(u.title, 'production unfrozen');
    assert.equal(u.body, 'Rick unfroze production: resolved\nProtection: restricted');
    assert.deepEqual(h.notifier.target(u.id), { kind: 'environment', id: 'env_prod' });
  });

  test('a freeze that ended as scheduled; an immediate unfreeze with no known actor', () => {
    const h = setup();
    h.sync([up('environment', frozen('bob', 'deploy window', '2026-11-23T09:00:00.000Z'))], true);
    h.sync([up('environment', prod)]);
    assert.equal(h.sink.shown.at(-1)?.body, 'The freeze of production ended as scheduled\nProtection: restricted');
    h.sync([up('environment', frozen('bob', 'again'))]);
    h.clock.advance(1000);
    h.sync([up('environment', prod)]);
    assert.equal(h.sink.shown.at(-1)?.body, 'production was unfrozen\nProtection: restricted');
  });

  test('my own freeze and unfreeze are not notified; freezes=false silences them', () => {
    const h = setup();
    h.sync([up('environment', prod)], true);
    h.sync([up('environment', frozen('alice', 'mine'))]);
    h.notifier.noteOwnAction({ kind: 'environment', id: 'env_prod' });
    h.sync([up('environment', prod)]);
    assert.deepEqual(h.sink.log, []);
    h.setSettings({ freezes: false });
    h.sync([up('environment', frozen('bob', 'x'))]);
    assert.deepEqual(h.sink.log, []);
  });

  test('other environment changes are not notified', () => {
    const h = setup();
    h.sync([up('environment', prod)], true);
    h.sync([up('environment', { ...prod, reviewers: { userIds: ['bob'], teamIds: [] } })]);
    assert.deepEqual(h.sink.log, []);
  });
});

describe('(d) break-glass', () => {
  test("anyone's session is notified, urgent, even in quiet hours and with notifications disabled", () => {
    const h = setup({ settings: { enabled: false, quietHours: { start: '09:00', end: '17:00' } } });
    h.sync([up('breakglass', bgSession('bg_1'))]);
    assert.deepEqual(h.sink.shown, [
      {
        id: 'breakglass:bg_1',
        title: 'Break-glass session started',
        body: 'Rick: INC-42 api down\nrelease.deploy in production until 11:00',
        urgent: true,
      },
    ]);
    assert.deepEqual(h.notifier.target('breakglass:bg_1'), { kind: 'breakglass', id: 'bg_1' });
  });

  test('my own session too (a stolen token would show up here); its end is not a new notification', () => {
    const h = setup();
    const s = bgSession('bg_2', { userId: 'alice', scope: { actions: ['cluster.restart'] } });
    h.sync([up('breakglass', s)]);
    assert.equal(h.sink.shown[0]?.body, 'You: INC-42 api down\ncluster.restart until 11:00');
    h.sync([up('breakglass', { ...s, endedAt: '2026-11-23T10:30:00.000Z', endedBy: 'alice' })]);
    assert.equal(h.sink.shown.length, 1);
  });
});

describe('(e) coalescing', () => {
  test('requests within the window become one notification that replaces the single one', () => {
    const h = setup();
    h.sync([up('request', request('req_1'))]);
    h.clock.advance(3000);
    h.sync([up('request', request('req_2', { requesterId: 'bob', action: 'rollback.execute' }))]);
    h.clock.advance(9000); // within 10 s of the last one: still the same burst
    h.sync([up('request', request('req_3'))]);
    assert.deepEqual(h.sink.log, ['show request:req_1', 'close request:req_1', 'show inbox:1', 'close inbox:1', 'show inbox:2']);
    const n = h.sink.open.get('inbox:2')!;
    assert.equal(n.title, '3 new requests awaiting your approval');
    assert.equal(n.body, 'Rick: release.deploy on api/production\nBob: rollback.execute on api/production\nRick: release.deploy on api/production');
    assert.deepEqual(h.notifier.target('inbox:2'), { kind: 'inbox' });
    assert.deepEqual([...h.sink.open.keys()], ['inbox:2']);

    // The window closes 10 s after the last arrival; the next request is a single one again.
    h.clock.advance(10_000);
    h.sync([up('request', request('req_4'))]);
    assert.deepEqual(h.sink.log.slice(5), ['show request:req_4']);
    assert.deepEqual([...h.sink.open.keys()], ['inbox:2', 'request:req_4']);
  });

  test('five in one page: one notification, three listed', () => {
    const h = setup();
    h.sync([1, 2, 3, 4, 5].map((i) => up('request', request(`req_${i}`))));
    assert.deepEqual(h.sink.log, ['show inbox:1']);
    assert.equal(h.sink.shown[0]?.title, '5 new requests awaiting your approval');
    assert.match(h.sink.shown[0]!.body, /\n…and 2 more$/);
  });

  test('coalesceWindowMs is honoured', () => {
    const h = setup({ settings: { coalesceWindowMs: 1000 } });
    h.sync([up('request', request('req_1'))]);
    h.clock.advance(1001);
    h.sync([up('request', request('req_2'))]);
    assert.deepEqual(h.sink.log, ['show request:req_1', 'show request:req_2']);
  });

  test('a burst whose notification was withdrawn starts afresh', () => {
    const h = setup();
    const r1 = request('req_1');
    h.sync([up('request', r1)]);
    h.sync([up('request', { ...r1, status: 'cancelled' })]);
    h.clock.advance(1000);
    h.sync([up('request', request('req_2'))]);
    assert.deepEqual(h.sink.log, ['show request:req_1', 'close request:req_1', 'show request:req_2']);
  });

  test('requests already decided are not counted when a burst grows', () => {
    const h = setup();
    const r1 = request('req_1');
    h.sync([up('request', r1), up('request', request('req_2'))]);
    h.sync([up('request', { ...r1, status: 'approved' })]);
    h.sync([up('request', request('req_3'))]);
    assert.equal(h.sink.shown.at(-1)?.title, '2 new requests awaiting your approval');
  });
});

describe('(f) quiet hours', () => {
  test('inQuietHours: same-day, wrapping midnight, empty', () => {
    const m = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));
    const night = { start: '22:00', end: '07:00' };
    for (const t of ['22:00', '23:59', '00:00', '03:30', '06:59']) assert.equal(inQuietHours(night, m(t)), true, t);
    for (const t of ['07:00', '12:00', '21:59']) assert.equal(inQuietHours(night, m(t)), false, t);
    const lunch = { start: '12:00', end: '13:00' };
    assert.deepEqual(
      ['11:59', '12:00', '12:59', '13:00'].map((t) => inQuietHours(lunch, m(t))),
      [false, true, true, false],
    );
    assert.equal(inQuietHours({ start: '08:00', end: '08:00' }, m('08:00')), false);
    assert.equal(inQuietHours(undefined, 0), false);
  });

  test('minutesOfDay in a zone', () => {
    assert.equal(minutesOfDay(Date.parse('2026-11-23T23:45:00Z'), 'UTC'), 23 * 60 + 45);
    assert.equal(minutesOfDay(Date.parse('2026-11-23T23:45:00Z'), 'Europe/Istanbul'), 2 * 60 + 45);
  });

  const quiet = { quietHours: { start: '22:00', end: '07:00' } };
  for (const [at, suppressed] of [
    ['2026-11-23T23:30:00Z', true],
    ['2026-11-24T06:59:00Z', true],
    ['2026-11-24T07:00:00Z', false],
    ['2026-11-23T21:59:00Z', false],
  ] as const) {
    test(`quiet 22:00–07:00 at ${at.slice(11, 16)}: ${suppressed ? 'suppressed' : 'shown'} (break-glass always shown)`, async () => {
      const h = setup({ settings: quiet, at, cancelledBy: async () => 'bob' });
      const envFrozen = { ...prod, protection: 'locked' as const, freeze: { by: 'bob', at, reason: 'x', previousProtection: 'restricted' as const } };
      const mine = request('req_m', { requesterId: 'alice' });
      const expiring = request('req_e', { requesterId: 'alice' });
      const cancelled = request('req_c', { requesterId: 'alice' });
      h.sync([up('environment', prod), up('request', mine), up('request', expiring), up('request', cancelled)], true);
      h.sync([
        up('request', request('req_1', { expiresAt: '2026-11-30T00:00:00Z' })),
        up('request', { ...mine, status: 'approved', decisions: [{ userId: 'bob', kind: 'approve', at }] }),
        up('request', { ...expiring, status: 'expired' }),
        up('request', { ...cancelled, status: 'cancelled' }),
        up('environment', envFrozen),
        up('breakglass', bgSession('bg_1', { startedAt: at, expiresAt: '2026-11-30T00:00:00Z' })),
      ]);
      await settle();
      const ids = h.sink.shown.map((n) => n.id.split(':').slice(0, 3).join(':'));
      assert.deepEqual(
        ids,
        suppressed
          ? ['breakglass:bg_1']
          : ['breakglass:bg_1', 'request:req_1', 'request:req_m:approved', 'request:req_e:expired', 'environment:env_prod:frozen', 'request:req_c:cancelled'],
      );
    });
  }
});

describe('(g) withdrawal', () => {
  test('withdrawn when decided by others, decided by me, cancelled or expired', () => {
    const h = setup();
    const rs = ['a', 'b', 'c', 'd'].map((x) => request(`req_${x}`));
    for (const r of rs) {
      h.clock.advance(60_000); // separate bursts: one single notification each
      h.sync([up('request', r)]);
    }
    assert.deepEqual([...h.sink.open.keys()], ['request:req_a', 'request:req_b', 'request:req_c', 'request:req_d']);
    h.sync([up('request', { ...rs[0]!, status: 'approved', decisions: [{ userId: 'bob', kind: 'approve', at: T0 }] })]);
    h.sync([up('request', { ...rs[1]!, status: 'approved', decisions: [{ userId: 'alice', kind: 'approve', at: T0 }] })]);
    h.sync([up('request', { ...rs[2]!, status: 'cancelled' })]);
    h.sync([up('request', { ...rs[3]!, status: 'expired' })]);
    assert.deepEqual([...h.sink.open.keys()], []);
    // I approved someone else's request: withdrawal only, nothing shown to me.
    assert.equal(h.sink.shown.length, 4);
  });

  test('withdrawn when my decision is recorded even if the request stays pending (two approvals needed)', () => {
    const h = setup();
    const r = request('req_q', { gates: [gate('two', { approvers: platformGate.approvers, quorum: { ...platformGate.quorum, minApprovals: 2 } })] });
    h.sync([up('request', r)]);
    h.sync([up('request', { ...r, decisions: [{ userId: 'alice', kind: 'approve', at: T0 }] })]);
    assert.deepEqual([...h.sink.open.keys()], []);
  });

  test('withdrawn at expiresAt by the clock, without a sync', () => {
    const h = setup();
    h.sync([up('request', request('req_e', { expiresAt: '2026-11-23T10:05:00.000Z' }))]);
    h.clock.advance(299_000);
    assert.ok(h.sink.open.has('request:req_e'));
    h.clock.advance(1000);
    assert.deepEqual([...h.sink.open.keys()], []);
  });

  test('withdrawn when I am no longer an approver (my teams changed in a page, or refresh())', () => {
    const h = setup();
    h.sync([up('request', request('req_1'))]);
    h.sync([up('user', { ...alice, teamIds: [] })]);
    assert.deepEqual([...h.sink.open.keys()], []);

    const h2 = setup();
    h2.sync([up('request', request('req_1'))]);
    h2.setMe(rick);
    h2.notifier.refresh();
    assert.deepEqual([...h2.sink.open.keys()], []);
  });

  test('a burst notification is withdrawn once none of its requests is approvable, not before', () => {
    const h = setup();
    const [r1, r2] = [request('req_1'), request('req_2')];
    h.sync([up('request', r1), up('request', r2)]);
    h.sync([up('request', { ...r1, status: 'rejected' })]);
    assert.ok(h.sink.open.has('inbox:1'));
    h.sync([{ seq: ++seq, entity: 'request', id: 'req_2', op: 'delete' }]);
    assert.deepEqual([...h.sink.open.keys()], []);
  });

  test('withdrawal still works for pages synced while bootstrapping (a cache rebuild)', () => {
    const h = setup();
    const r = request('req_1');
    h.sync([up('request', r)]);
    h.sync([up('request', { ...r, status: 'approved' })], true);
    assert.deepEqual([...h.sink.open.keys()], []);
  });

  test('dispose stops the timers', () => {
    const h = setup();
    h.sync([up('request', request('req_1'))]);
    assert.ok(h.clock.pending > 0);
    h.notifier.dispose();
    assert.equal(h.clock.pending, 0);
    h.sync([up('request', request('req_2'))]);
    assert.equal(h.sink.shown.length, 1);
  });
});

describe('(h) targets and the tray badge', () => {
  test('unknown ids have no target', () => {
    const h = setup();
    assert.equal(h.notifier.target('request:nope'), undefined);
  });

  test('approvableCount counts what is waiting for me', () => {
    const now = new Date(T0);
    const list = [
      request('r1'),
      request('r2', { status: 'approved' }),
      request('r3', { decisions: [{ userId: 'alice', kind: 'approve', at: T0 }] }),
      request('r4', { requesterId: 'alice' }),
      request('r5', { expiresAt: T0 }),
      request('r6', { gates: [gate('sre', { approvers: { userIds: [], teamIds: ['sre'], orgRoles: [] } })] }),
      request('r7', { requesterId: 'alice', gates: [selfGate] }),
    ];
    assert.equal(approvableCount(list, alice, now), 2);
    assert.equal(approvableCount(list, bob, now), 4);
    assert.equal(approvableCount(list, rick, now), 0);
  });
});

describe('nudges', () => {
  test('a nudge naming me on a request I can approve notifies me; it replaces the earlier one and is withdrawn when decided', () => {
    const h = setup();
    h.sync([up('request', request('req_1'))]);
    assert.equal(h.sink.shown.length, 1);
    h.clock.advance(60_000);
    const nudged = request('req_1', { nudges: [{ by: 'rick', at: '2026-11-23T10:01:00.000Z', userIds: ['alice', 'bob'], message: 'prod is waiting' }] });
    h.sync([up('request', nudged)]);
    const n = h.sink.shown[h.sink.shown.length - 1]!;
    assert.equal(n.id, 'request:req_1:nudge:2026-11-23T10:01:00.000Z');
    assert.equal(n.title, 'Rick is waiting on your review');
    assert.equal(n.body, 'release.deploy on api/production: “prod is waiting”');
    assert.deepEqual(target(h.notifier.target(n.id)), { kind: 'request', id: 'req_1' });
    assert.ok(h.sink.log.includes('close request:req_1'), 'the first notification gave way to the nudge');
    h.sync([up('request', { ...nudged, status: 'approved' as const })]);
    assert.ok(h.sink.log.includes(`close ${n.id}`), 'withdrawn once decided');
  });

  test('no notification for nudges naming others, my own nudges, or requests I cannot approve', () => {
    const h = setup();
    h.sync([
      up('request', request('req_2')),
      up('request', request('req_3', { gates: [gate('sre', { approvers: { userIds: [], teamIds: ['sre'], orgRoles: [] } })] })),
    ]);
    const before = h.sink.shown.length;
    h.sync([
      up(
        'request',
        request('req_2', {
          nudges: [
            { by: 'rick', at: T0, userIds: ['bob'] },
            { by: 'alice', at: T0, userIds: ['alice'] },
          ],
        }),
      ),
      up(
        'request',
        request('req_3', {
          gates: [gate('sre', { approvers: { userIds: [], teamIds: ['sre'], orgRoles: [] } })],
          nudges: [{ by: 'rick', at: T0, userIds: ['alice'] }],
        }),
      ),
    ]);
    assert.equal(h.sink.shown.length, before);
  });
});
