// Notifications that come from the clock, on pinned clocks (as escalation.test.ts does): the
// server is restarted on the same data dir with its clock later, so whatever is due is found from
// the database alone. Escalation (request.escalated, to the widened approvers), reminders (one
// per interval, never twice across restarts) and the warning a day before expiry.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BindingResponse, PolicyResponse, RequestDetailResponse, RequestResponse, SettingsResponse, type Environment } from '../../shared/schemas/index.ts';
import { clockAt } from '../clock.ts';
import { cleanupTempDirs, expectOk, initDir, killAll, ServerProcess, sleep, uniq, waitFor } from './harness.ts';
import { setupOrg, type Org, type TestUser } from './fixtures.ts';
import { SmtpReceiver, WebhookReceiver } from './receivers.ts';
import { deliveriesAbout, peopleChannel, waitForDelivery, webhookChannel } from './notify-fixtures.ts';

const FILED = '2026-03-09T10:00:00Z';
/** Several sweeps (once a second): long enough for a duplicate to have been sent if there were one. */
const SWEEPS_MS = 3500;

let dir: string;
let server: ServerProcess;
let org: Org;
let hook: WebhookReceiver;
let smtp: SmtpReceiver;
let everyone: TestUser[];

/** Stops the server and starts it again on the same data dir with its clock at `instant`. */
async function restartAt(instant: string): Promise<void> {
  await server?.stop();
  const pinned = clockAt(instant);
  hook.clock = pinned.clock;
  server = await new ServerProcess(dir, ['--clock', pinned.flag, '--smtp-url', smtp.url, '--mail-from', 'gatehouse@example.test']).start();
}
const plus = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();

async function gatedEnv(escalation?: Record<string, unknown>): Promise<Environment> {
  const env = await org.env();
  const { policy } = expectOk(
    await org.owner.api.post('/api/policies', {
      name: uniq('policy'),
      actions: ['release.deploy'],
      approvers: { teamIds: [org.alpha.id] },
      quorum: { minApprovals: 2 },
      ...(escalation ? { escalation } : {}),
    }),
    201,
    PolicyResponse,
  );
  expectOk(await org.owner.api.post('/api/bindings', { policyId: policy.id, scope: 'environment', targetId: env.id }), 201, BindingResponse);
  return env;
}

async function undecidedApprovers(id: string): Promise<string[]> {
  const d = expectOk(await org.owner.api.get(`/api/requests/${id}`), 200, RequestDetailResponse);
  return [...new Set(d.progress.gates.flatMap((g) => g.canStillApprove))].map((uid) => everyone.find((u) => u.id === uid)!.email).sort();
}

let escalating: { env: Environment; id: string; hook: string; mail: string };
let expiring: { env: Environment; id: string; hook: string; mail: string };

before(async () => {
  hook = await WebhookReceiver.start();
  smtp = await SmtpReceiver.start();
  const init = await initDir();
  dir = init.dir;
  await restartAt(FILED);
  org = await setupOrg(() => server.url, init.ownerToken);
  everyone = [org.owner, org.admin, org.m1, org.m2, org.m3, org.plain, org.rm, org.bg];

  const escalationEnv = await gatedEnv({ afterMinutes: 30, approvers: { userIds: [], teamIds: [org.beta.id], orgRoles: [] } });
  escalating = {
    env: escalationEnv,
    hook: (await webhookChannel(org.owner.api, hook, { events: ['request.escalated'], environmentIds: [escalationEnv.id] })).channel.id,
    mail: (await peopleChannel(org.owner.api, { events: ['request.escalated'], environmentIds: [escalationEnv.id] })).id,
    id: (await org.request(org.rm, escalationEnv.id, 'pending')).id,
  };
  const expiryEnv = await gatedEnv();
  expiring = {
    env: expiryEnv,
    hook: (await webhookChannel(org.owner.api, hook, { events: ['request.expiring'], environmentIds: [expiryEnv.id] })).channel.id,
    mail: (await peopleChannel(org.owner.api, { events: ['request.expiring'], environmentIds: [expiryEnv.id] })).id,
    id: (await org.request(org.rm, expiryEnv.id, 'pending')).id,
  };
});
after(async () => {
  await server?.stop();
  await hook?.close();
  await smtp?.close();
  killAll();
  cleanupTempDirs();
});

test('escalation: once it fires, a request.escalated delivery, and the escalation approvers are among the email recipients', async () => {
  assert.deepEqual(await deliveriesAbout(org.owner.api, escalating.hook, escalating.id), [], 'nothing before afterMinutes');
  await restartAt('2026-03-09T10:31:00Z');
  const d = await waitForDelivery(org.owner.api, escalating.hook, (x) => x.subject === escalating.id && x.event === 'request.escalated', 'request.escalated');
  const body = await hook.next((b) => b.id === d.id, 'the request.escalated webhook');
  const detail = expectOk(await org.owner.api.get(`/api/requests/${escalating.id}`), 200, RequestDetailResponse);
  const gate = detail.request.gates[0]!;
  assert.ok(gate.escalatedAt, 'the gate escalated');
  assert.equal(body.data.request.id, escalating.id);
  assert.equal(body.data.escalation.afterMinutes, 30);
  assert.ok([gate.name, gate.id].includes(body.data.escalation.gate), `data.escalation.gate names the gate: ${JSON.stringify(body.data.escalation)}`);

  await waitForDelivery(org.owner.api, escalating.mail, (x) => x.subject === escalating.id && x.event === 'request.escalated', 'the escalation emails');
  const mails = (await deliveriesAbout(org.owner.api, escalating.mail, escalating.id)).filter((x) => x.event === 'request.escalated');
  const recipients = mails.map((x) => x.to!).sort();
  assert.ok(recipients.includes(org.m3.email), `team Beta (the escalation approvers) is told: ${recipients}`);
  assert.deepEqual(recipients, await undecidedApprovers(escalating.id), 'the undecided approvers, now including the escalation approvers');
  for (const x of mails) await smtp.next((m) => m.to.includes(x.to!) && (m.text ?? '').includes(escalating.id), `the escalation mail to ${x.to}`);
  assert.equal((await deliveriesAbout(org.owner.api, escalating.hook, escalating.id)).length, 1, 'escalated once');
  assert.deepEqual(hook.problems, []);
});

test('reminders: reminderAfterMinutes after filing, then every interval, exactly one each, also across restarts', async () => {
  const settings = expectOk(await org.admin.api.patch('/api/settings', { reminderAfterMinutes: 1 }), 200, SettingsResponse).settings;
  assert.equal(settings.reminderAfterMinutes, 1);
  const env = await gatedEnv();
  const { channel } = await webhookChannel(org.owner.api, hook, { events: ['request.reminder'], environmentIds: [env.id] });
  const r = await org.request(org.rm, env.id, 'pending');
  const reminders = async () =>
    (await deliveriesAbout(org.owner.api, channel.id, r.id))
      .filter((d) => d.event === 'request.reminder')
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  const nOf = async () => {
    const out: number[] = [];
    for (const d of await reminders()) out.push((await hook.next((b) => b.id === d.id, `reminder ${d.id}`)).data.reminder.n);
    return out;
  };

  await restartAt(plus(r.createdAt, 80_000));
  await waitForDelivery(org.owner.api, channel.id, (d) => d.subject === r.id && d.event === 'request.reminder', 'the first reminder');
  await sleep(SWEEPS_MS);
  assert.deepEqual(await nOf(), [1], 'one reminder for the first interval');

  await restartAt(plus(r.createdAt, 85_000));
  await sleep(SWEEPS_MS);
  assert.deepEqual(await nOf(), [1], 'a restart before the next interval sends nothing again');

  await restartAt(plus(r.createdAt, 140_000));
  assert.ok(await waitFor(async () => (await reminders()).length >= 2, 15_000), 'the second reminder');
  await sleep(SWEEPS_MS);
  assert.deepEqual(await nOf(), [1, 2], 'one more for the second interval');
  const body = hook.delivered().find((b) => b.event === 'request.reminder' && b.data.request.id === r.id)!;
  assert.equal(body.data.request.status, 'pending');

  // Decided requests get no more reminders; leaving it pending would remind it on every later jump of the clock.
  expectOk(await org.rm.api.post(`/api/requests/${r.id}/cancel`), 200, RequestResponse);
  expectOk(await org.admin.api.patch('/api/settings', { reminderAfterMinutes: 60 }), 200, SettingsResponse);
  assert.deepEqual(hook.problems, []);
});

test('request.expiring: a day before expiry, to the requester and the undecided approvers', async () => {
  const detail = expectOk(await org.owner.api.get(`/api/requests/${expiring.id}`), 200, RequestDetailResponse);
  assert.deepEqual(await deliveriesAbout(org.owner.api, expiring.hook, expiring.id), [], 'no warning yet');
  await restartAt(plus(detail.request.expiresAt, -86_400_000 + 60_000));
  const d = await waitForDelivery(org.owner.api, expiring.hook, (x) => x.subject === expiring.id && x.event === 'request.expiring', 'request.expiring');
  const body = await hook.next((b) => b.id === d.id, 'the request.expiring webhook');
  assert.equal(body.data.request.id, expiring.id);
  await waitForDelivery(org.owner.api, expiring.mail, (x) => x.subject === expiring.id && x.event === 'request.expiring', 'the expiry emails');
  const recipients = (await deliveriesAbout(org.owner.api, expiring.mail, expiring.id)).map((x) => x.to!).sort();
  assert.deepEqual(recipients, [org.rm.email, ...(await undecidedApprovers(expiring.id))].sort(), 'the requester and the undecided approvers');
  await sleep(SWEEPS_MS);
  assert.equal((await deliveriesAbout(org.owner.api, expiring.hook, expiring.id)).length, 1, 'warned once');
  assert.deepEqual(hook.problems, []);
});
