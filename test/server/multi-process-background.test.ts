// Two `serve` processes on one PostgreSQL database (issue 16): the work the clock brings (expiry
// by the sweeper, reminders, expiry warnings) and the notification deliveries it queues happen
// once, not once per process. Both processes scan for what is due every second; each expiry,
// reminder and warning is re-checked inside a write transaction (under the advisory lock) and
// every delivery is leased before it is sent, so the second process finds nothing left to do.
//
// The processes run on pinned clocks (`--clock`, one anchor for both, so they agree to the
// millisecond) and are restarted together a few seconds before each due time, so a request filed
// with a TTL of two days expires seconds after the restart. Left alone, the two would rarely
// collide: whichever ticks first after the due time does all the work in a few milliseconds, and
// the other then finds nothing due. So both are stopped (SIGSTOP) until the due time has passed
// and continued together (SIGCONT): their overdue once-a-second timers fire at once, and both
// find the same expiries, reminders and deliveries due at the same moment. Runs in the PostgreSQL
// lanes of the matrix (GATEHOUSE_TEST_STORE=postgres); skipped, saying why, otherwise.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AuditResponse,
  AuditVerifyResponse,
  RequestDetailResponse,
  RequestResponse,
  SettingsResponse,
  type ApprovalRequest,
} from '../../shared/schemas/index.ts';
import type { Clock } from '../../shared/clock.ts';
import { clockAt } from '../clock.ts';
import { freshDatabase, onlyOnPostgres } from '../postgres.ts';
import { setupOrg, type Org } from './fixtures.ts';
import { apiFor, cleanupTempDirs, expectOk, killAll, runCli, ServerProcess, tempDir, waitFor } from './harness.ts';
import { deliveries, webhookChannel } from './notify-fixtures.ts';
import { WebhookReceiver, type WebhookBody } from './receivers.ts';

const skip = onlyOnPostgres();

const FILED = '2026-03-09T10:00:00Z';
const HOUR_MS = 3600_000;
/**
 * The first reminder 25 h after filing; the warning comes a day before expiry, so a TTL of 49 h
 * puts it at 25 h too. The second reminder (50 h) would come after expiry: none.
 */
const REMINDER_MINUTES = 25 * 60;
const TTL_MS = 49 * HOUR_MS;
/** How long before the due time the processes start: both are up, and then stopped, before it comes. */
const LEAD_MS = 8_000;
/** How long past the (last) due time the stopped processes are continued. */
const PAST_DUE_MS = 250;
/** Nothing new for this long (several sweeps and notifier ticks of each process): a duplicate would have come. */
const QUIET_MS = 3_500;
const REQUESTS = 10;
const EVENTS = ['request.pending', 'request.reminder', 'request.expiring', 'request.decided'] as const;

const plus = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();

/** Polls `read` until it returns the same value for `quietMs`; fails after `timeoutMs`. */
async function settled(read: () => Promise<string>, what: string, quietMs = QUIET_MS, timeoutMs = 30_000): Promise<void> {
  let last = await read();
  let since = performance.now();
  const ok = await waitFor(
    async () => {
      const now = await read();
      if (now !== last) {
        last = now;
        since = performance.now();
        return false;
      }
      return performance.now() - since >= quietMs;
    },
    timeoutMs,
    250,
  );
  assert.ok(ok, `${what}: still changing after ${timeoutMs} ms (last: ${last})`);
}

describe('two serve processes on one PostgreSQL database: expiry, reminders and deliveries happen once', { skip }, () => {
  let dir: string;
  let url: string;
  let a: ServerProcess | undefined;
  let b: ServerProcess | undefined;
  let org: Org;
  let hook: WebhookReceiver;
  let clock: Clock;

  /** Stops both processes and starts both again on one clock that reads `instant` now. */
  async function restartBothAt(instant: string): Promise<void> {
    await Promise.all([a?.stop(), b?.stop()]);
    const pinned = clockAt(instant);
    clock = hook.clock = pinned.clock;
    const args = ['--database', url, '--clock', pinned.flag, '--request-ttl', `${TTL_MS / 1000}s`];
    [a, b] = await Promise.all([new ServerProcess(dir, args).start(), new ServerProcess(dir, args).start()]);
  }

  /**
   * Stops both processes until their clock reads `dueIso` (plus PAST_DUE_MS), then continues both
   * at once; returns how long before the due time they were stopped (negative: they started late).
   */
  async function holdBothUntil(dueIso: string): Promise<number> {
    const procs = [a!.proc, b!.proc];
    const due = Date.parse(dueIso) + PAST_DUE_MS;
    for (const p of procs) p.kill('SIGSTOP');
    const ahead = due - clock().getTime();
    try {
      assert.ok(await waitFor(async () => clock().getTime() >= due, LEAD_MS + 30_000, 20), 'the clock reaches the due time');
    } finally {
      for (const p of procs) p.kill('SIGCONT');
    }
    return ahead;
  }

  before(async () => {
    hook = await WebhookReceiver.start();
    url = await freshDatabase();
    dir = tempDir();
    const init = await runCli(['init', '--data', dir, '--owner-email', 'owner@example.com', '--database', url]);
    assert.equal(init.code, 0, init.stderr);
    const ownerToken = init.stdout.trim().split('\n').at(-1)!.trim();
    await restartBothAt(FILED);
    org = await setupOrg(() => a!.url, ownerToken);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await hook?.close();
    killAll();
    cleanupTempDirs();
  });

  test(`${REQUESTS} requests filed half through each process: one reminder, one warning, one expiry and one delivery of each, across both`, async (t) => {
    const settings = expectOk(await org.admin.api.patch('/api/settings', { reminderAfterMinutes: REMINDER_MINUTES }), 200, SettingsResponse).settings;
    assert.equal(settings.reminderAfterMinutes, REMINDER_MINUTES);
    const env = await org.env();
    await org.policyOn(env.id, { actions: ['release.deploy'], teamIds: [org.alpha.id] });
    const { channel } = await webhookChannel(org.owner.api, hook, { events: [...EVENTS], environmentIds: [env.id] });

    const filed: ApprovalRequest[] = await Promise.all(
      Array.from({ length: REQUESTS }, async (_, i) => {
        const base = i % 2 ? b!.url : a!.url;
        const res = await apiFor(base, org.rm.token).post('/api/requests', {
          action: 'release.deploy',
          resource: { environmentId: env.id },
          justification: `filed via ${i % 2 ? 'B' : 'A'}`,
          payload: { revision: `r${i}` },
        });
        const { request } = expectOk(res, 201, RequestResponse, `request ${i}`);
        assert.equal(request.status, 'pending');
        assert.equal(Date.parse(request.expiresAt) - Date.parse(request.createdAt), TTL_MS, 'the TTL of the process that filed it');
        return request;
      }),
    );
    const ids = filed.map((r) => r.id).sort();
    const times = filed.map((r) => r.createdAt).sort();
    const first = times[0]!;
    const last = times.at(-1)!;

    const api = () => apiFor(a!.url, org.owner.token);
    /** The receiver's 2xx deliveries about our requests, as "event request" keys, sorted. */
    const received = () =>
      hook
        .delivered()
        .filter((x) => ids.includes(x.data?.request?.id))
        .map((x) => `${x.event} ${x.data.request.id}`)
        .sort();
    const expected = (events: readonly string[]) => events.flatMap((e) => ids.map((id) => `${e} ${id}`)).sort();
    /** What the store and the receiver hold, as one string: unchanged for QUIET_MS means nothing is left to come. */
    const snapshot = async () => {
      const stored = await deliveries(api(), channel.id, '?limit=500');
      return JSON.stringify([stored.map((d) => `${d.id} ${d.status} ${d.attempts}`).sort(), hook.hits.length]);
    };
    const waitForEvents = async (events: readonly string[], what: string) => {
      const want = expected(events);
      const ok = await waitFor(async () => received().length >= want.length, 30_000);
      assert.ok(ok, `${what}: got ${JSON.stringify(received())}`);
      await settled(snapshot, what);
      assert.deepEqual(received(), want, `${what}: exactly one delivery per request and event`);
    };

    // Filed: one request.pending each, whichever process committed it.
    await waitForEvents(['request.pending'], 'request.pending');

    // 25 h on: the first reminder and the warning fall due a few seconds after both processes start.
    await restartBothAt(plus(first, REMINDER_MINUTES * 60_000 - LEAD_MS));
    const remindAhead = await holdBothUntil(plus(last, REMINDER_MINUTES * 60_000));
    await waitForEvents(['request.pending', 'request.reminder', 'request.expiring'], 'reminders and expiry warnings');
    for (const x of hook.delivered().filter((d) => d.event === 'request.reminder')) assert.equal(x.data.reminder.n, 1, 'the first reminder');

    // 49 h on: every request expires a few seconds after both processes start.
    await restartBothAt(plus(first, TTL_MS - LEAD_MS));
    const expireAhead = await holdBothUntil(plus(last, TTL_MS));
    const allExpired = await waitFor(async () => {
      const statuses = await Promise.all(ids.map(async (id) => expectOk(await api().get(`/api/requests/${id}`), 200, RequestDetailResponse).request.status));
      return statuses.every((s) => s === 'expired');
    }, 30_000);
    assert.ok(allExpired, 'every request expired');
    await waitForEvents(EVENTS, 'request.decided (expired)');
    const decided = hook.delivered().filter((d): d is WebhookBody => d.event === 'request.decided');
    for (const x of decided) assert.equal(x.data.outcome, 'expired', `${x.data.request.id} decided: ${x.data.outcome}`);

    // The audit log, read through either process: exactly one request.expired per request, by the system.
    for (const base of [a!.url, b!.url]) {
      const events = expectOk(await apiFor(base, org.owner.token).get('/api/audit?after=0&limit=5000'), 200, AuditResponse).events;
      const expired = events.filter((e) => e.type === 'request.expired' && ids.includes(e.subject));
      assert.deepEqual(expired.map((e) => e.subject).sort(), ids, 'one request.expired audit event per request');
      for (const e of expired) assert.equal(e.actorId, 'system');
      const v = expectOk(await apiFor(base, org.owner.token).get('/api/audit/verify'), 200, AuditVerifyResponse);
      assert.equal(v.ok, true, JSON.stringify(v));
    }

    // Each delivery was queued once, leased once and sent once: the store says so, and so does the receiver.
    const stored = await deliveries(api(), channel.id, '?limit=500');
    assert.equal(stored.length, EVENTS.length * REQUESTS, JSON.stringify(stored.map((d) => [d.event, d.subject])));
    for (const d of stored) {
      assert.equal(d.status, 'delivered', `${d.id} (${d.event}): ${d.status} ${d.lastError ?? ''}`);
      assert.equal(d.attempts, 1, `${d.id} (${d.event}) attempts`);
    }
    assert.equal(hook.hits.length, stored.length, 'every delivery reached the receiver exactly once');
    assert.deepEqual(new Set(hook.hits.map((h) => h.body?.id)).size, stored.length, 'no delivery id twice');
    assert.deepEqual(hook.problems, []);
    t.diagnostic(`${stored.length} deliveries for ${REQUESTS} requests, each sent once across two processes`);
    // Both were stopped before the work fell due (else the first one up may have done it all alone).
    t.diagnostic(`stopped ${remindAhead} ms before the reminders fell due, ${expireAhead} ms before the expiries`);
  });
});
