// Notifications over HTTP on the real server (docs/api.md "Notifications"): webhook and Slack
// channels, their filters, what a delivery carries, test-sends, redelivery, settings, and the
// errors of the channel routes. Email has its own suite (notifications-email.test.ts), retries and
// restarts theirs (notifications-durability.test.ts), reminders and escalation theirs
// (notifications-schedule.test.ts).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ChannelResponse,
  ChannelsResponse,
  CreatedChannelResponse,
  DeliveryResponse,
  PreferencesResponse,
  RequestResponse,
  SettingsResponse,
  DEFAULT_REMINDER_MINUTES,
  NOTIFY_EVENTS,
  type Environment,
} from '../../shared/schemas/index.ts';
import { call, cleanupTempDirs, expectError, expectOk, initDir, killAll, startServer, uniq, waitFor, type ServerProcess } from './harness.ts';
import { setupOrg, type Org } from './fixtures.ts';
import { SlackReceiver, WebhookReceiver, type WebhookBody } from './receivers.ts';
import { auditEvent, createChannel, deliveries, deliveriesAbout, urlsIn, waitForDelivery, webhookChannel } from './notify-fixtures.ts';

let server: ServerProcess;
let org: Org;
let hook: WebhookReceiver;
let slack: SlackReceiver;

before(async () => {
  const { dir, ownerToken } = await initDir();
  server = await startServer(dir);
  org = await setupOrg(() => server.url, ownerToken);
  hook = await WebhookReceiver.start();
  slack = await SlackReceiver.start();
});
after(async () => {
  await server?.stop();
  await hook?.close();
  await slack?.close();
  killAll();
  cleanupTempDirs();
});

/** An environment of `checkout` whose deploys wait for two of team Alpha. */
async function gatedEnv(projectId?: string): Promise<Environment> {
  const env = await org.env(projectId ? { projectId } : {});
  await org.policyOn(env.id, { actions: ['release.deploy'], teamIds: [org.alpha.id], minApprovals: 2 });
  return env;
}

const fileRequest = (env: Environment, justification = 'routine release') => org.request(org.rm, env.id, 'pending', { justification });

const aboutRequest = (id: string, event: string) => (b: WebhookBody) => b.event === event && b.data?.request?.id === id;

function assertNoProblems(): void {
  assert.deepEqual(hook.problems, [], 'the webhook receiver found nothing wrong');
  assert.deepEqual(slack.problems, [], 'the Slack receiver found nothing wrong');
}

test('a webhook channel for request.pending gets the filed request, signed, as {id, event, at, data}; the delivery is listed as delivered', async () => {
  const env = await gatedEnv();
  const { channel, url } = await webhookChannel(org.owner.api, hook, { events: ['request.pending'], environmentIds: [env.id] });
  assert.match(channel.id, /^ch_/);
  assert.equal(channel.kind, 'webhook');
  assert.equal(channel.url, url, 'a webhook URL is answered as given');
  assert.equal(channel.hasSecret, true);
  assert.deepEqual(channel.events, ['request.pending']);
  assert.deepEqual(channel.environmentIds, [env.id]);
  const listed = expectOk(await org.owner.api.get('/api/channels'), 200, ChannelsResponse).channels;
  assert.ok(
    listed.some((c) => c.id === channel.id),
    'listed',
  );
  assert.deepEqual(expectOk(await org.owner.api.get(`/api/channels/${channel.id}`), 200, ChannelResponse).channel, channel);

  const r = await fileRequest(env, 'INC-1001: ship the checkout fix');
  const body = await hook.next(aboutRequest(r.id, 'request.pending'), `request.pending for ${r.id}`, url);
  assert.equal(body.at, (await auditEvent(org.owner.api, r.id, 'request.created')).at, 'at: when the event happened');
  const req = body.data.request;
  assert.equal(req.action, 'release.deploy');
  assert.equal(req.resource.environmentId, env.id);
  assert.equal(req.resourceName, `checkout / ${env.name}`);
  assert.deepEqual(req.requester, { id: org.rm.id, name: org.rm.name });
  assert.equal(req.justification, 'INC-1001: ship the checkout fix');
  assert.equal(req.status, 'pending');
  assert.equal(req.revision, 'abc123');
  assert.ok(typeof req.progress === 'string' && req.progress.length > 0, `progress is the one-line standing: ${JSON.stringify(req.progress)}`);
  assert.equal(req.links.app, `gatehouse://request/${r.id}`);
  assert.equal(req.links.web, undefined, 'no web link without settings.publicUrl');

  const d = await waitForDelivery(org.owner.api, channel.id, (x) => x.id === body.id && x.status === 'delivered', 'the delivery marked delivered');
  assert.equal(d.channelId, channel.id);
  assert.equal(d.event, 'request.pending');
  assert.equal(d.subject, r.id);
  assert.equal(d.attempts, 1);
  assert.ok(d.deliveredAt, 'deliveredAt set');
  assert.equal(hook.attemptsOf(body.id).length, 1, 'sent once');
  assertNoProblems();
});

test('a webhook channel made without a secret gets a whsec_ one, answered once and never again or in the audit; a test-send is signed with it', async () => {
  const url = hook.url('generated');
  const created = expectOk(
    await org.owner.api.post('/api/channels', { kind: 'webhook', name: 'generated secret', url, events: ['request.decided'] }),
    201,
    CreatedChannelResponse,
  );
  assert.match(created.secret ?? '', /^whsec_\S{16,}$/);
  const secret = created.secret!;
  hook.trust(url, secret);
  const id = created.channel.id;
  for (const res of [await org.owner.api.get(`/api/channels/${id}`), await org.owner.api.get('/api/channels')]) {
    assert.equal(res.status, 200);
    assert.ok(!res.text.includes(secret), 'the secret is not answered again');
  }
  const audited = await auditEvent(org.owner.api, id, 'channel.created');
  assert.ok(!JSON.stringify(audited).includes(secret), 'the audit never holds the secret');

  const sent = expectOk(await org.owner.api.post(`/api/channels/${id}/test`), 202, DeliveryResponse).delivery;
  assert.equal(sent.event, 'channel.test');
  assert.equal(sent.channelId, id);
  const body = await hook.next((b) => b.id === sent.id, 'the test-send', url);
  assert.equal(body.event, 'channel.test');
  assert.deepEqual(body.data.channel, { id, name: 'generated secret' });
  assert.deepEqual(body.data.actor, { id: org.owner.id, name: org.owner.name });
  assertNoProblems();
});

test('filters: a channel for another project gets nothing, project and environment filters match, events are honoured', async () => {
  const other = await org.project();
  const env = await gatedEnv();
  const ch = async (filters: Parameters<typeof webhookChannel>[2]) => (await webhookChannel(org.owner.api, hook, filters, 'filters')).channel;
  const otherProject = await ch({ events: ['request.pending', 'request.decided'], projectIds: [other] });
  const otherEnv = await ch({ events: ['request.pending'], environmentIds: [(await org.env()).id] });
  const sameProject = await ch({ events: ['request.pending'], projectIds: [org.projectId] });
  const sameEnv = await ch({ events: ['request.pending'], environmentIds: [env.id] });
  const decidedOnly = await ch({ events: ['request.decided'], environmentIds: [env.id] });

  const r = await fileRequest(env);
  // Every channel's deliveries for an event are queued in one transaction: once one is there, all are.
  await waitForDelivery(org.owner.api, sameEnv.id, (d) => d.subject === r.id && d.event === 'request.pending', 'environment filter');
  await waitForDelivery(
    org.owner.api,
    sameProject.id,
    (d) => d.subject === r.id && d.event === 'request.pending',
    'project filter (the environment’s project)',
  );
  assert.deepEqual(await deliveriesAbout(org.owner.api, otherProject.id, r.id), [], 'another project’s channel');
  assert.deepEqual(await deliveriesAbout(org.owner.api, otherEnv.id, r.id), [], 'another environment’s channel');
  assert.deepEqual(await deliveriesAbout(org.owner.api, decidedOnly.id, r.id), [], 'a channel for request.decided');

  expectOk(await org.rm.api.post(`/api/requests/${r.id}/cancel`), 200, RequestResponse);
  const decided = await waitForDelivery(org.owner.api, decidedOnly.id, (d) => d.subject === r.id && d.event === 'request.decided', 'request.decided');
  const body = await hook.next((b) => b.id === decided.id, 'the request.decided body');
  assert.equal(body.data.outcome, 'cancelled');
  assert.equal(body.data.request.status, 'cancelled');
  assert.deepEqual(
    (await deliveriesAbout(org.owner.api, sameEnv.id, r.id)).map((d) => d.event),
    ['request.pending'],
    'a channel without request.decided does not get it',
  );
  assert.deepEqual(await deliveriesAbout(org.owner.api, otherProject.id, r.id), [], 'nor does another project’s, which has it');
  assertNoProblems();
});

test('Slack: a Block Kit message with the request’s action, resource, requester, justification and links; the web link once settings.publicUrl is set', async () => {
  const env = await gatedEnv();
  const url = slack.url();
  const { channel } = await createChannel(org.owner.api, { kind: 'slack', url, events: ['request.pending'], environmentIds: [env.id] });
  assert.equal(channel.url, `${slack.origin}/…`, 'a Slack URL is answered as its origin and /…');
  const credential = new URL(url).pathname;
  assert.ok(!(await org.owner.api.get('/api/channels')).text.includes(credential), 'the Slack URL is not answered');
  assert.ok(!JSON.stringify(await auditEvent(org.owner.api, channel.id, 'channel.created')).includes(credential), 'nor audited');

  const justification = 'INC-4242: roll the payments canary forward';
  const r = await fileRequest(env, justification);
  const first = await slack.next((m) => JSON.stringify(m.body).includes(r.id), `a Slack message about ${r.id}`);
  assert.equal(first.path, credential);
  assert.ok(typeof first.body.text === 'string' && first.body.text.length > 0, 'a fallback text');
  assert.ok(Array.isArray(first.body.blocks) && first.body.blocks.length > 0, 'blocks');
  assert.ok(
    first.body.blocks.some((b: { type?: string }) => b.type === 'header'),
    'a header block',
  );
  const all = JSON.stringify(first.body);
  assert.match(all, /deploy/i, 'the action');
  for (const part of [`checkout / ${env.name}`, org.rm.name, justification, `gatehouse://request/${r.id}`])
    assert.ok(all.includes(part), `the message names ${part}`);
  assert.ok(!all.includes('/#/request/'), 'no web link without publicUrl');

  const settings = expectOk(await org.admin.api.patch('/api/settings', { publicUrl: 'https://gatehouse.example.test' }), 200, SettingsResponse).settings;
  assert.equal(settings.publicUrl, 'https://gatehouse.example.test');
  const r2 = await fileRequest(env, justification);
  const second = await slack.next((m) => JSON.stringify(m.body).includes(r2.id), `a Slack message about ${r2.id}`);
  assert.ok(urlsIn(second.body.blocks).includes(`https://gatehouse.example.test/#/request/${r2.id}`), `a button to the web console: ${urlsIn(second.body)}`);
  assert.ok(JSON.stringify(second.body).includes(`gatehouse://request/${r2.id}`), 'and the app link');

  const cleared = expectOk(await org.admin.api.patch('/api/settings', { publicUrl: null }), 200, SettingsResponse).settings;
  assert.equal(cleared.publicUrl, undefined, 'null removes publicUrl');
  assert.equal(expectOk(await org.m1.api.get('/api/settings'), 200, SettingsResponse).settings.publicUrl, undefined);
  assertNoProblems();
});

test('redeliver: the same delivery id is sent again and delivered; an unknown id is 404', async () => {
  const env = await gatedEnv();
  const { channel, url } = await webhookChannel(org.owner.api, hook, { events: ['request.pending'], environmentIds: [env.id] });
  const r = await fileRequest(env);
  const first = await hook.next(aboutRequest(r.id, 'request.pending'), 'the first delivery', url);
  await waitForDelivery(org.owner.api, channel.id, (d) => d.id === first.id && d.status === 'delivered', 'delivered');

  hook.expectRedelivery(first.id);
  const again = expectOk(await org.admin.api.post(`/api/deliveries/${first.id}/redeliver`), 202, DeliveryResponse).delivery;
  assert.equal(again.id, first.id, 'the same id');
  assert.equal(again.channelId, channel.id);
  assert.equal(again.status, 'pending', 'pending again');
  const resent = await waitFor(async () => hook.delivered(url).filter((b) => b.id === first.id).length === 2, 15_000);
  assert.ok(resent, 'the receiver got the id a second time');
  const bodies = hook.delivered(url).filter((b) => b.id === first.id);
  assert.deepEqual(bodies[1]!.data, bodies[0]!.data, 'the same payload');
  await waitForDelivery(org.owner.api, channel.id, (d) => d.id === first.id && d.status === 'delivered', 'delivered again');
  assert.equal((await deliveriesAbout(org.owner.api, channel.id, r.id)).length, 1, 'still one delivery, not a copy');

  expectError(await org.owner.api.post('/api/deliveries/dlv_nope/redeliver'), 404, undefined, 'delivery not found');
  assertNoProblems();
});

test('an email channel on a server without --smtp-url waits and retries with the last error saying so', async () => {
  const { channel } = await createChannel(org.owner.api, { kind: 'email', to: ['ops@example.test'], events: ['request.pending'] });
  assert.deepEqual(channel.to, ['ops@example.test']);
  assert.equal(channel.url, undefined);
  const sent = expectOk(await org.owner.api.post(`/api/channels/${channel.id}/test`), 202, DeliveryResponse).delivery;
  assert.equal(sent.to, 'ops@example.test');
  const d = await waitForDelivery(org.owner.api, channel.id, (x) => x.id === sent.id && x.attempts >= 1, 'an attempt');
  assert.equal(d.status, 'pending', 'still pending: it will be retried');
  assert.equal(d.lastError, 'this server has no SMTP server (serve --smtp-url)');
  assert.ok(d.nextAttemptAt, 'a next attempt is scheduled');
  expectOk(await org.owner.api.del(`/api/channels/${channel.id}`), 200, ChannelResponse, 'DELETE channel');
});

test('PATCH changes a channel (null clears a filter), DELETE answers it as it was and removes it with its deliveries', async () => {
  const env = await gatedEnv();
  const { channel } = await webhookChannel(org.owner.api, hook, { events: ['request.pending'], projectIds: [org.projectId], environmentIds: [env.id] });
  const patched = expectOk(
    await org.admin.api.patch(`/api/channels/${channel.id}`, { name: 'renamed', events: ['request.pending', 'request.decided'], projectIds: null }),
    200,
    ChannelResponse,
  ).channel;
  assert.equal(patched.name, 'renamed');
  assert.deepEqual(patched.events, ['request.pending', 'request.decided']);
  assert.equal(patched.projectIds, undefined, 'null cleared projectIds');
  assert.deepEqual(patched.environmentIds, [env.id], 'untouched');
  assert.equal(patched.createdAt, channel.createdAt);
  assert.ok(Date.parse(patched.updatedAt) >= Date.parse(channel.updatedAt));
  expectError(await org.admin.api.patch(`/api/channels/${channel.id}`, { kind: 'slack' }), 400, 'invalid_request');
  const sent = expectOk(await org.admin.api.post(`/api/channels/${channel.id}/test`), 202, DeliveryResponse).delivery;

  const deleted = expectOk(await org.admin.api.del(`/api/channels/${channel.id}`), 200, ChannelResponse, 'DELETE channel').channel;
  assert.deepEqual(deleted, patched, 'DELETE answers the channel as it was');
  expectError(await org.admin.api.get(`/api/channels/${channel.id}`), 404, undefined, 'channel not found');
  expectError(await org.admin.api.get(`/api/channels/${channel.id}/deliveries`), 404, undefined, 'channel not found');
  expectError(await org.admin.api.post(`/api/deliveries/${sent.id}/redeliver`), 404, undefined, 'delivery not found', 'its deliveries went with it');
  await auditEvent(org.owner.api, channel.id, 'channel.deleted');
});

test('bad input: each refusal names the problem, and nothing is created', async () => {
  const before = expectOk(await org.owner.api.get('/api/channels'), 200, ChannelsResponse).channels.length;
  const url = hook.url('never');
  const events = ['request.pending'];
  const cases: [body: Record<string, unknown>, status: number, message: RegExp][] = [
    [{ kind: 'webhook', events }, 400, /a webhook channel needs a url/],
    [{ kind: 'slack', events }, 400, /a slack channel needs a url/],
    [{ kind: 'slack', url: slack.url(), secret: 'x'.repeat(20), events }, 400, /only a webhook channel has a secret/],
    [{ kind: 'webhook', url, to: ['ops@example.test'], events }, 400, /only an email channel has recipients \(to\)/],
    [{ kind: 'email', url, events }, 400, /an email channel has no url \(it sends over the server’s SMTP\)/],
    [{ kind: 'webhook', url, secret: 'too-short', events }, 400, /at least 16 characters/],
    [{ kind: 'webhook', url, events: [] }, 400, /name at least one event/],
    [{ kind: 'webhook', url, events: ['channel.test'] }, 400, /events/],
    [{ kind: 'webhook', url: 'ftp://example.test/hook', events }, 400, /must be an http:\/\/ or https:\/\/ URL/],
    [{ kind: 'email', to: ['not an address'], events }, 400, /to/],
    [{ kind: 'email', to: Array.from({ length: 101 }, (_, i) => `u${i}@example.test`), events }, 400, /to/],
    [{ kind: 'pager', url, events }, 400, /kind/],
    [{ kind: 'webhook', url, events, colour: 'red' }, 400, /colour/],
    [{ kind: 'webhook', url, events, projectIds: ['prj_nope'] }, 400, /projectIds: unknown project "prj_nope"/],
    [{ kind: 'webhook', url, events, environmentIds: ['env_nope'] }, 400, /environmentIds: unknown environment "env_nope"/],
  ];
  for (const [body, status, message] of cases) {
    expectError(
      await org.owner.api.post('/api/channels', { name: uniq('bad'), ...body }),
      status,
      'invalid_request',
      message,
      JSON.stringify(body).slice(0, 120),
    );
  }
  expectError(await org.owner.api.get('/api/channels/ch_nope'), 404, undefined, 'channel not found');
  expectError(await org.owner.api.patch('/api/channels/ch_nope', { name: 'x' }), 404, undefined, 'channel not found');
  expectError(await org.owner.api.post('/api/channels/ch_nope/test'), 404, undefined, 'channel not found');
  assert.equal(expectOk(await org.owner.api.get('/api/channels'), 200, ChannelsResponse).channels.length, before, 'no channel was made');

  const { channel } = await webhookChannel(org.owner.api, hook, { events: ['request.pending'] });
  for (const q of ['?limit=0', '?limit=501', '?status=sent', '?colour=red'])
    expectError(await org.owner.api.get(`/api/channels/${channel.id}/deliveries${q}`), 400, 'invalid_request', undefined, q);
  const unchanged = expectOk(await org.owner.api.get(`/api/channels/${channel.id}`), 200, ChannelResponse).channel;
  expectError(await org.owner.api.patch(`/api/channels/${channel.id}`, { events: [] }), 400, 'invalid_request', /name at least one event/);
  expectError(
    await org.owner.api.patch(`/api/channels/${channel.id}`, { to: ['ops@example.test'] }),
    400,
    'invalid_request',
    /only an email channel has recipients/,
  );
  expectError(
    await org.owner.api.patch(`/api/channels/${channel.id}`, { environmentIds: ['env_nope'] }),
    400,
    'invalid_request',
    /environmentIds: unknown environment "env_nope"/,
  );
  assert.deepEqual(
    expectOk(await org.owner.api.get(`/api/channels/${channel.id}`), 200, ChannelResponse).channel,
    unchanged,
    'refused patches changed nothing',
  );
  expectOk(await org.owner.api.del(`/api/channels/${channel.id}`), 200, ChannelResponse, 'DELETE channel');

  const settings = expectOk(await org.owner.api.get('/api/settings'), 200, SettingsResponse).settings;
  assert.equal(settings.reminderAfterMinutes, DEFAULT_REMINDER_MINUTES);
  assert.deepEqual(settings.securityTeamIds, []);
  for (const [body, message] of [
    [{ reminderAfterMinutes: 0 }, /reminderAfterMinutes/],
    [{ reminderAfterMinutes: 10_081 }, /reminderAfterMinutes/],
    [{ reminderAfterMinutes: 1.5 }, /reminderAfterMinutes/],
    [{ securityTeamIds: ['team_nope'] }, /securityTeamIds: unknown team "team_nope"/],
    [{ publicUrl: 'javascript:alert(1)' }, /publicUrl/],
    [{ colour: 'red' }, /colour/],
  ] as const)
    expectError(await org.owner.api.patch('/api/settings', body), 400, 'invalid_request', message, JSON.stringify(body));
  assert.deepEqual(expectOk(await org.owner.api.get('/api/settings'), 200, SettingsResponse).settings, settings, 'refused settings changed nothing');

  const prefs = expectOk(await org.m1.api.get('/api/me/preferences'), 200, PreferencesResponse).preferences;
  assert.deepEqual([...prefs.email.events].sort(), [...NOTIFY_EVENTS].sort(), 'every event by default');
  for (const body of [{ email: { events: ['request.nope'] } }, { email: {} }, { sms: { events: [] } }, { email: { events: ['channel.test'] } }])
    expectError(await org.m1.api.patch('/api/me/preferences', body), 400, 'invalid_request', undefined, JSON.stringify(body));
  assert.deepEqual(expectOk(await org.m1.api.get('/api/me/preferences'), 200, PreferencesResponse).preferences, prefs, 'refused preferences changed nothing');

  expectError(await call(server.url, undefined, 'POST', '/api/unsubscribe/not-a-token'), 404, undefined, 'unknown unsubscribe link');
});

test('non-admins get 403 on channel, delivery and settings writes; settings and their own preferences are for anyone', async () => {
  const { channel } = await webhookChannel(org.owner.api, hook, { events: ['request.pending'] });
  const sent = expectOk(await org.owner.api.post(`/api/channels/${channel.id}/test`), 202, DeliveryResponse).delivery;
  const member = org.m1.api;
  const refused: [string, string, unknown?][] = [
    ['GET', '/api/channels'],
    ['POST', '/api/channels', { kind: 'webhook', name: 'mine', url: hook.url('mine'), events: ['request.pending'] }],
    ['GET', `/api/channels/${channel.id}`],
    ['PATCH', `/api/channels/${channel.id}`, { name: 'taken over' }],
    ['DELETE', `/api/channels/${channel.id}`],
    ['GET', `/api/channels/${channel.id}/deliveries`],
    ['POST', `/api/channels/${channel.id}/test`, {}],
    ['POST', `/api/deliveries/${sent.id}/redeliver`, {}],
    ['PATCH', '/api/settings', { reminderAfterMinutes: 5 }],
  ];
  for (const [method, path, json] of refused) {
    for (const api of [member, org.rm.api])
      expectError(await api.call(method, path, json === undefined ? {} : { json }), 403, 'forbidden', undefined, `${method} ${path}`);
  }
  assert.equal(expectOk(await org.owner.api.get(`/api/channels/${channel.id}`), 200, ChannelResponse).channel.name, channel.name, 'unchanged');
  assert.equal(expectOk(await member.get('/api/settings'), 200, SettingsResponse).settings.reminderAfterMinutes, DEFAULT_REMINDER_MINUTES);
  const mine = expectOk(await member.patch('/api/me/preferences', { email: { events: ['request.decided'] } }), 200, PreferencesResponse).preferences;
  assert.deepEqual(mine.email.events, ['request.decided']);
  assert.deepEqual(expectOk(await member.get('/api/me/preferences'), 200, PreferencesResponse).preferences, mine);
  assert.deepEqual(
    [...expectOk(await org.m2.api.get('/api/me/preferences'), 200, PreferencesResponse).preferences.email.events].sort(),
    [...NOTIFY_EVENTS].sort(),
    'another user’s preferences are their own',
  );
  expectOk(await member.patch('/api/me/preferences', { email: { events: [...NOTIFY_EVENTS] } }), 200, PreferencesResponse);
  assert.ok((await deliveries(org.owner.api, channel.id)).some((d) => d.id === sent.id));
  assertNoProblems();
});
