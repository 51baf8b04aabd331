// Email notifications on a real server started with `--smtp-url` to an in-process SMTP server:
// who "the people concerned" are for each event, what a message carries, email preferences, the
// one-click unsubscribe, the requester told of the outcome, and break-glass reaching every channel
// and the security teams whatever they chose.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ChannelsResponse,
  PreferencesResponse,
  RequestDetailResponse,
  RequestResponse,
  SessionResponse,
  SettingsResponse,
  NOTIFY_EVENTS,
  type Environment,
} from '../../shared/schemas/index.ts';
import { call, cleanupTempDirs, expectError, expectOk, initDir, killAll, startServer, type ServerProcess } from './harness.ts';
import { setupOrg, type Org, type TestUser } from './fixtures.ts';
import { SlackReceiver, SmtpReceiver, unsubscribeUrl, WebhookReceiver, type Mail } from './receivers.ts';
import { createChannel, deliveriesAbout, peopleChannel, waitForDelivery, webhookChannel } from './notify-fixtures.ts';

const MAIL_FROM = 'gatehouse@example.test';
let server: ServerProcess;
let org: Org;
let smtp: SmtpReceiver;
let hook: WebhookReceiver;
let slack: SlackReceiver;
let everyone: TestUser[];

before(async () => {
  smtp = await SmtpReceiver.start();
  hook = await WebhookReceiver.start();
  slack = await SlackReceiver.start();
  const { dir, ownerToken } = await initDir();
  server = await startServer(dir, ['--smtp-url', smtp.url, '--mail-from', MAIL_FROM]);
  org = await setupOrg(() => server.url, ownerToken);
  everyone = [org.owner, org.admin, org.m1, org.m2, org.m3, org.plain, org.rm, org.bg];
});
after(async () => {
  await server?.stop();
  await smtp?.close();
  await hook?.close();
  await slack?.close();
  killAll();
  cleanupTempDirs();
});

const emailOf = (id: string) => {
  const u = everyone.find((x) => x.id === id);
  assert.ok(u, `a known user ${id}`);
  return u.email;
};
const sorted = (xs: (string | undefined)[]) => xs.map((x) => x ?? '(none)').sort();

/** An environment whose deploys wait for two of team Alpha (m1, m2, bg). */
async function gatedEnv(): Promise<Environment> {
  const env = await org.env();
  await org.policyOn(env.id, { actions: ['release.deploy'], teamIds: [org.alpha.id], minApprovals: 2 });
  return env;
}

/** The addresses of the eligible approvers who have not decided, as the request's progress says. */
async function undecidedApprovers(id: string): Promise<string[]> {
  const d = expectOk(await org.owner.api.get(`/api/requests/${id}`), 200, RequestDetailResponse);
  return [...new Set(d.progress.gates.flatMap((g) => g.canStillApprove))].map(emailOf).sort();
}

/**
 * Waits for the email channel's deliveries about `subject` to be made and sent, and for the mails,
 * told apart by `marker` in their text (a request's id is in its app link).
 */
async function mailsAbout(channelId: string, subject: string, event: string, count: number, marker = subject): Promise<Mail[]> {
  await waitForDelivery(org.owner.api, channelId, (d) => d.subject === subject && d.event === event, `${event} email about ${subject}`);
  const ds = (await deliveriesAbout(org.owner.api, channelId, subject)).filter((d) => d.event === event);
  assert.equal(ds.length, count, `${count} ${event} deliveries about ${subject}: ${JSON.stringify(ds.map((d) => d.to))}`);
  const mails: Mail[] = [];
  for (const d of ds) {
    assert.ok(d.to, 'an email delivery names its one recipient');
    await waitForDelivery(org.owner.api, channelId, (x) => x.id === d.id && x.status === 'delivered', `the ${event} email to ${d.to}`);
    mails.push(await smtp.next((m) => m.to.includes(d.to!) && (m.text ?? '').includes(marker), `a mail to ${d.to} about ${subject}`));
  }
  return mails;
}

let pendingMails: Mail[] = [];

test('request.pending goes to each eligible approver who has not decided, at their address, with text, HTML and one-click unsubscribe; request.updated to the rest', async () => {
  const env = await gatedEnv();
  const channel = await peopleChannel(org.owner.api, { events: ['request.pending', 'request.updated'], environmentIds: [env.id] });
  assert.equal(channel.to, undefined, 'no to: the people concerned');
  const r = await org.request(org.rm, env.id, 'pending', { justification: 'INC-2001: the checkout hotfix' });
  const expected = await undecidedApprovers(r.id);
  assert.deepEqual(expected, sorted([org.m1.email, org.m2.email, org.bg.email]), 'team Alpha, not the requester');

  const mails = await mailsAbout(channel.id, r.id, 'request.pending', expected.length);
  assert.deepEqual(sorted(mails.flatMap((m) => m.to)), expected, 'one mail to each, at their own address');
  for (const m of mails) {
    assert.equal(m.to.length, 1, 'one recipient per message');
    assert.equal(m.from, MAIL_FROM, 'envelope sender');
    assert.ok((m.header('from') ?? '').includes(MAIL_FROM), `From: ${m.header('from')}`);
    assert.ok((m.header('to') ?? '').includes(m.to[0]!), `To: ${m.header('to')}`);
    assert.ok(m.subject.startsWith('[Gatehouse]'), `Subject: ${m.subject}`);
    assert.ok(m.subject.includes(`checkout / ${env.name}`), `the subject names the resource: ${m.subject}`);
    assert.ok(m.text?.includes('INC-2001: the checkout hotfix'), 'the text part carries the justification');
    assert.ok(m.text?.includes(`gatehouse://request/${r.id}`), 'and the app link');
    assert.ok(m.html && /<[a-z]/i.test(m.html), 'an HTML part');
    assert.ok(m.html.includes(r.id), 'the HTML part is about the request');
    const unsubscribe = unsubscribeUrl(m);
    assert.ok(unsubscribe, `List-Unsubscribe has a URL: ${m.header('list-unsubscribe')}`);
    assert.match(unsubscribe.pathname, /^\/api\/unsubscribe\/[^/]+$/);
    assert.equal(m.header('list-unsubscribe-post'), 'List-Unsubscribe=One-Click');
  }
  assert.equal(new Set(mails.map((m) => unsubscribeUrl(m)!.pathname)).size, mails.length, 'each recipient has their own unsubscribe link');
  pendingMails = mails;

  expectOk(await org.m1.api.post(`/api/requests/${r.id}/approve`, {}), 200, RequestResponse);
  const updated = await mailsAbout(channel.id, r.id, 'request.updated', 2);
  assert.deepEqual(sorted(updated.flatMap((m) => m.to)), sorted([org.m2.email, org.bg.email]), 'request.updated: minus whoever acted');
});

test('a user whose preferences drop request.pending no longer gets it; the others still do', async () => {
  const env = await gatedEnv();
  const channel = await peopleChannel(org.owner.api, { events: ['request.pending'], environmentIds: [env.id] });
  const without = NOTIFY_EVENTS.filter((e) => e !== 'request.pending');
  const prefs = expectOk(await org.m2.api.patch('/api/me/preferences', { email: { events: without } }), 200, PreferencesResponse).preferences;
  assert.deepEqual(sorted(prefs.email.events), sorted(without));
  try {
    const r = await org.request(org.rm, env.id, 'pending');
    const mails = await mailsAbout(channel.id, r.id, 'request.pending', 2);
    assert.deepEqual(sorted(mails.flatMap((m) => m.to)), sorted([org.m1.email, org.bg.email]));
  } finally {
    expectOk(await org.m2.api.patch('/api/me/preferences', { email: { events: [...NOTIFY_EVENTS] } }), 200, PreferencesResponse);
  }
});

test('the one-click unsubscribe URL (POST, no token) takes that event out of the user’s preferences; a tampered link is 404 and changes nothing', async () => {
  const mailTo = (u: TestUser) => {
    const m = pendingMails.find((x) => x.to[0] === u.email);
    assert.ok(m, `the first test kept a mail to ${u.name}`);
    return unsubscribeUrl(m)!;
  };
  const url = mailTo(org.m1);
  const token = url.pathname.split('/').pop()!;
  const last = token.at(-1)!;
  const tampered = `${token.slice(0, -1)}${last === 'A' ? 'B' : 'A'}`;
  for (const bad of [tampered, `${token}x`, token.slice(1)])
    expectError(await call(server.url, undefined, 'POST', `/api/unsubscribe/${bad}`), 404, undefined, 'unknown unsubscribe link');
  assert.deepEqual(
    sorted(expectOk(await org.m1.api.get('/api/me/preferences'), 200, PreferencesResponse).preferences.email.events),
    sorted([...NOTIFY_EVENTS]),
    'tampered links changed nothing',
  );

  const unsubscribed = async (u: TestUser) => {
    const events = expectOk(await u.api.get('/api/me/preferences'), 200, PreferencesResponse).preferences.email.events;
    assert.deepEqual(sorted(events), sorted(NOTIFY_EVENTS.filter((e) => e !== 'request.pending')), `${u.name}: request.pending dropped, nothing else`);
    expectOk(await u.api.patch('/api/me/preferences', { email: { events: [...NOTIFY_EVENTS] } }), 200, PreferencesResponse);
  };
  const plain = await call(server.url, undefined, 'POST', `${url.pathname}${url.search}`);
  assert.equal(plain.status, 204, `a POST without a body: ${plain.text}`);
  await unsubscribed(org.m1);

  // As a mail client sends it (RFC 8058): no bearer token, the one-click form body.
  const form = mailTo(org.bg);
  const res = await call(server.url, undefined, 'POST', `${form.pathname}${form.search}`, {
    raw: 'List-Unsubscribe=One-Click',
    contentType: 'application/x-www-form-urlencoded',
  });
  assert.equal(res.status, 204, `an RFC 8058 one-click POST (application/x-www-form-urlencoded): ${res.text}`);
  await unsubscribed(org.bg);
});

test('the requester is told the outcome (request.decided) by email and webhook, unless they cancelled it themselves', async () => {
  const env = await gatedEnv();
  const mail = await peopleChannel(org.owner.api, { events: ['request.decided'], environmentIds: [env.id] });
  const { url } = await webhookChannel(org.owner.api, hook, { events: ['request.decided'], environmentIds: [env.id] });

  const r = await org.request(org.rm, env.id, 'pending');
  expectOk(await org.m1.api.post(`/api/requests/${r.id}/approve`, {}), 200, RequestResponse);
  const approved = expectOk(await org.m2.api.post(`/api/requests/${r.id}/approve`, { comment: 'ship it' }), 200, RequestResponse).request;
  assert.equal(approved.status, 'approved');
  const [told] = await mailsAbout(mail.id, r.id, 'request.decided', 1);
  assert.deepEqual(told!.to, [org.rm.email], 'the requester, not the approvers');
  assert.match(told!.subject, /approved/i);
  const body = await hook.next((b) => b.event === 'request.decided' && b.data.request?.id === r.id, 'the request.decided webhook', url);
  assert.equal(body.data.outcome, 'approved');
  assert.equal(body.data.request.status, 'approved');
  assert.equal(body.data.actor?.id, org.m2.id, 'who settled it');

  const byAdmin = await org.request(org.rm, env.id, 'pending');
  expectOk(await org.admin.api.post(`/api/requests/${byAdmin.id}/cancel`), 200, RequestResponse);
  const [cancelled] = await mailsAbout(mail.id, byAdmin.id, 'request.decided', 1);
  assert.deepEqual(cancelled!.to, [org.rm.email], 'cancelled by an admin: the requester is told');

  const own = await org.request(org.rm, env.id, 'pending');
  expectOk(await org.rm.api.post(`/api/requests/${own.id}/cancel`), 200, RequestResponse);
  const ownBody = await hook.next((b) => b.event === 'request.decided' && b.data.request?.id === own.id, 'the cancel webhook', url);
  assert.equal(ownBody.data.outcome, 'cancelled');
  // queued in the same transaction as the webhook's: had there been an email, it would be listed now
  assert.deepEqual(await deliveriesAbout(org.owner.api, mail.id, own.id), [], 'no email to a requester who cancelled it themselves');
  assert.deepEqual(hook.problems, []);
  // last, so a miss here does not hide the cases above: the settling approval is a decision too
  assert.deepEqual(body.data.decision, { kind: 'approve', comment: 'ship it' }, 'data.decision {kind, comment?} for decisions');
});

test('break-glass start reaches every channel whatever its filters, and the security teams’ members by email whatever their preferences', async () => {
  const other = await org.project();
  const env = await org.env();
  const settings = expectOk(await org.owner.api.patch('/api/settings', { securityTeamIds: [org.beta.id] }), 200, SettingsResponse).settings;
  assert.deepEqual(settings.securityTeamIds, [org.beta.id]);
  const withoutBg = NOTIFY_EVENTS.filter((e) => e !== 'breakglass.started');
  expectOk(await org.m3.api.patch('/api/me/preferences', { email: { events: withoutBg } }), 200, PreferencesResponse);

  const { url } = await webhookChannel(org.owner.api, hook, { events: ['request.pending'], projectIds: [other] });
  await createChannel(org.owner.api, { kind: 'slack', url: slack.url(), events: ['environment.frozen'], environmentIds: [env.id] });
  const people = await peopleChannel(org.owner.api, { events: ['request.decided'], projectIds: [other] });
  const { channel: soc } = await createChannel(org.owner.api, { kind: 'email', to: ['soc@example.test'], events: ['request.pending'] });

  const reason = 'INC-3003: payments down, rolling back by hand';
  const session = expectOk(
    await org.bg.api.post('/api/breakglass', { reason, scope: { actions: ['rollback.execute'] }, durationMinutes: 30 }),
    201,
    SessionResponse,
  ).session;

  const body = await hook.next((b) => b.event === 'breakglass.started' && b.data.session?.id === session.id, 'breakglass.started on a filtered webhook', url);
  assert.deepEqual(body.data.session.holder, { id: org.bg.id, name: org.bg.name });
  assert.equal(body.data.session.reason, reason);
  assert.deepEqual(body.data.session.scope, session.scope);
  assert.equal(body.data.session.startedAt, session.startedAt);
  assert.equal(body.data.session.expiresAt, session.expiresAt);
  await slack.next((m) => JSON.stringify(m.body).includes(reason), 'breakglass.started on a Slack channel for environment.frozen elsewhere');

  // Every channel there is, including the earlier tests’, queued it.
  for (const c of expectOk(await org.owner.api.get('/api/channels'), 200, ChannelsResponse).channels) {
    const ds = await deliveriesAbout(org.owner.api, c.id, session.id);
    assert.ok(
      ds.some((d) => d.event === 'breakglass.started'),
      `channel ${c.name} (${c.kind}, events ${c.events.join(',')}) got breakglass.started`,
    );
  }
  const securityMails = await mailsAbout(people.id, session.id, 'breakglass.started', 1, reason);
  assert.deepEqual(securityMails[0]!.to, [org.m3.email], 'the security team’s member, though their preferences dropped it; nobody else');
  const socMails = await mailsAbout(soc.id, session.id, 'breakglass.started', 1, reason);
  assert.deepEqual(socMails[0]!.to, ['soc@example.test'], 'a channel with to sends there');

  expectOk(await org.bg.api.post(`/api/breakglass/${session.id}/revoke`), 200, SessionResponse);
  expectOk(await org.m3.api.patch('/api/me/preferences', { email: { events: [...NOTIFY_EVENTS] } }), 200, PreferencesResponse);
  assert.deepEqual(hook.problems, []);
  assert.deepEqual(slack.problems, []);
});
