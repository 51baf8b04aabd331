// Notifications through the composed core against the real server: the admin makes a webhook
// channel (its generated secret in that answer only), a test-send reaches a receiver here signed
// with it and shows delivered, a failing one can be redelivered under the same id; filters the
// directory does not know are refused at their field; a member is refused channels but keeps
// their own email preferences; nothing is sent while offline. And the requester's desktop says
// when their request is cancelled by an admin, and not when they cancel it themselves.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDesktopCore, type DesktopCore } from '../../electron/core/app.ts';
import { testClock } from '../clock.ts';
import { cleanupTempDirs, killAll, tempDir } from '../server/harness.ts';
import { MemorySecrets, OLIVIA, RHEA, RecordingSink, SAM, demoBackend, pendingForRhea, until, type Backend } from './helpers.ts';

const ADAM = 'adam.kowalski@example.com';

interface Received {
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

let b: Backend;
let receiver: Server;
let receiverUrl: string;
const received: Received[] = [];
/** The receiver's answer: 204, or 500 while failing on purpose. */
let answer = 204;

before(async () => {
  b = await demoBackend();
  receiver = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(answer).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
});
after(async () => {
  await new Promise((r) => receiver.close(r));
  killAll();
  cleanupTempDirs();
});

async function coreAs(email: string, notifications: RecordingSink | { show(): void; close(): void } = { show() {}, close() {} }): Promise<DesktopCore> {
  const core = await createDesktopCore({
    mode: 'web',
    dataDir: tempDir('gh-notify-'),
    clock: testClock,
    secrets: new MemorySecrets(),
    notifications,
    server: { url: b.url(), token: b.token(email) },
  });
  await until(async () => ((await core.dispatch('status.get', {})) as any).data.state === 'online', 30_000, 'online');
  return core;
}

async function call(core: DesktopCore, channel: string, input: unknown = {}): Promise<any> {
  const r = await core.dispatch(channel, input);
  if (!r.ok) throw new Error(`${channel}: ${r.error.code}: ${r.error.message}`);
  return r.data;
}

async function refusal(core: DesktopCore, channel: string, input: unknown = {}): Promise<{ code: string; message: string; status?: number }> {
  const r = await core.dispatch(channel, input);
  assert.equal(r.ok, false, `${channel} should be refused`);
  return (r as { ok: false; error: { code: string; message: string; status?: number } }).error;
}

async function deliveryOf(core: DesktopCore, channelId: string, id: string, status: string): Promise<any> {
  return until(
    async () =>
      (await call(core, 'channels.deliveries', { id: channelId })).deliveries.find((d: { id: string; status: string }) => d.id === id && d.status === status),
    30_000,
    `delivery ${id} ${status}`,
  );
}

test('an admin makes a webhook channel, test-sends through it (signed with the secret shown once), redelivers, edits and deletes it', async () => {
  const core = await coreAs(ADAM);
  try {
    assert.deepEqual((await call(core, 'channels.list')).channels, []);
    const made = await call(core, 'channels.create', {
      kind: 'webhook',
      name: 'Deploys hook',
      url: receiverUrl,
      events: ['request.pending', 'request.decided'],
    });
    assert.match(made.secret, /^whsec_/, 'a webhook made without a secret gets one, in this answer');
    assert.deepEqual([made.channel.kind, made.channel.hasSecret, made.channel.url], ['webhook', true, receiverUrl]);
    const listed = (await call(core, 'channels.list')).channels;
    assert.deepEqual(
      listed.map((c: { id: string }) => c.id),
      [made.channel.id],
    );
    assert.equal(JSON.stringify(listed).includes(made.secret), false, 'the secret is never answered again');
    assert.deepEqual((await call(core, 'channels.get', { id: made.channel.id })).channel, listed[0]);

    const { delivery } = await call(core, 'channels.test', { id: made.channel.id });
    assert.deepEqual([delivery.event, delivery.channelId], ['channel.test', made.channel.id]);
    const delivered = await deliveryOf(core, made.channel.id, delivery.id, 'delivered');
    assert.equal(delivered.attempts, 1);
    assert.ok(delivered.deliveredAt, 'when it was delivered');
    const hit = received.find((r) => r.headers['x-gatehouse-delivery'] === delivery.id);
    assert.ok(hit, 'the receiver got it');
    const signed = createHmac('sha256', made.secret).update(`${hit.headers['x-gatehouse-timestamp']}.${hit.body}`).digest('hex');
    assert.equal(hit.headers['x-gatehouse-signature'], `sha256=${signed}`, 'signed with the secret the create answered');
    assert.equal(JSON.parse(hit.body).event, 'channel.test');

    // A receiver that fails: the delivery stays pending with its error, and can be sent again under the same id.
    answer = 500;
    const failing = (await call(core, 'channels.test', { id: made.channel.id })).delivery;
    const retrying = await until(
      async () =>
        (await call(core, 'channels.deliveries', { id: made.channel.id, status: 'pending' })).deliveries.find(
          (d: any) => d.id === failing.id && d.lastError !== undefined,
        ),
      30_000,
      'a failed attempt',
    );
    assert.ok(retrying.attempts >= 1 && retrying.nextAttemptAt, 'pending, with its next try');
    assert.match(retrying.lastError, /500/);
    answer = 204;
    const again = await call(core, 'deliveries.redeliver', { id: failing.id });
    assert.deepEqual([again.delivery.id, again.delivery.status], [failing.id, 'pending']);
    await deliveryOf(core, made.channel.id, failing.id, 'delivered');
    assert.deepEqual(
      (await call(core, 'channels.deliveries', { id: made.channel.id, limit: 1 })).deliveries.map((d: { id: string }) => d.id),
      [failing.id],
      'newest first, as many as asked',
    );

    const edited = await call(core, 'channels.update', { id: made.channel.id, events: ['breakglass.started'], name: 'Security hook' });
    assert.deepEqual([edited.channel.name, edited.channel.events, edited.secret], ['Security hook', ['breakglass.started'], undefined]);

    const prod = await b.envId('production');
    const scoped = await call(core, 'channels.update', { id: made.channel.id, environmentIds: [prod] });
    assert.deepEqual(scoped.channel.environmentIds, [prod]);
    const cleared = await call(core, 'channels.update', { id: made.channel.id, environmentIds: null });
    assert.equal(cleared.channel.environmentIds, undefined, 'null clears a filter');

    await call(core, 'channels.remove', { id: made.channel.id });
    assert.deepEqual((await call(core, 'channels.list')).channels, []);
    assert.equal((await refusal(core, 'channels.get', { id: made.channel.id })).status, 404);
  } finally {
    await core.close();
  }
});

test('refusals at their fields: an unknown project filter, a field the kind does not take; a Slack URL is answered masked; email to the people concerned', async () => {
  const core = await coreAs(ADAM);
  try {
    const before = (await call(core, 'channels.list')).channels;
    const unknown = await call(core, 'channels.create', { kind: 'email', name: 'Approvers', events: ['request.pending'], projectIds: ['prj_nope'] });
    assert.ok(unknown.refused, JSON.stringify(unknown));
    assert.deepEqual(
      unknown.refused.issues.map((i: { path: string }) => i.path),
      ['projectIds'],
    );
    assert.match(unknown.refused.issues[0].message, /prj_nope/);
    assert.deepEqual((await call(core, 'channels.list')).channels, before, 'nothing was made');

    const slack = await call(core, 'channels.create', {
      kind: 'slack',
      name: '#deploys',
      url: 'https://hooks.slack.example/services/T000/B000/XXXX',
      events: ['request.pending'],
    });
    assert.equal(slack.channel.url, 'https://hooks.slack.example/…', 'a Slack URL is a credential: only its origin comes back');
    assert.equal(slack.secret, undefined);
    const wrongKind = await call(core, 'channels.update', { id: slack.channel.id, to: ['ops@example.com'] });
    assert.ok(wrongKind.refused, 'recipients on a Slack channel are refused');
    assert.match(wrongKind.refused.message, /only an email channel has recipients/);

    const email = await call(core, 'channels.create', { kind: 'email', name: 'Approvers', events: ['request.pending', 'request.reminder'] });
    assert.equal(email.channel.to, undefined, 'no `to`: the people concerned');
    const listed = await call(core, 'channels.update', { id: email.channel.id, to: ['release@example.com'] });
    assert.deepEqual(listed.channel.to, ['release@example.com']);
    const back = await call(core, 'channels.update', { id: email.channel.id, to: null });
    assert.equal(back.channel.to, undefined, 'null: back to the people concerned');
    for (const c of [slack.channel, email.channel]) await call(core, 'channels.remove', { id: c.id });
  } finally {
    await core.close();
  }
});

test('org settings: an admin changes them (an unknown team refused, nothing changed); a member reads them, is refused changing them and channels, and keeps their own email preferences', async () => {
  const admin = await coreAs(ADAM);
  const member = await coreAs(RHEA);
  try {
    const { settings: before } = await call(admin, 'orgSettings.get');
    assert.equal(before.reminderAfterMinutes, 60);
    const security = (await call(admin, 'directory.get')).teams.find((t: { name: string }) => t.name === 'Security');
    const { settings } = await call(admin, 'orgSettings.update', {
      reminderAfterMinutes: 30,
      securityTeamIds: [security.id],
      publicUrl: 'https://gatehouse.example.com',
    });
    assert.deepEqual(settings, { reminderAfterMinutes: 30, securityTeamIds: [security.id], publicUrl: 'https://gatehouse.example.com' });
    const bad = await refusal(admin, 'orgSettings.update', { securityTeamIds: ['team_nope'], reminderAfterMinutes: 45 });
    assert.match(bad.message, /unknown team/);
    assert.deepEqual((await call(member, 'orgSettings.get')).settings, settings, 'anyone reads them; the refused change changed nothing');
    const removed = await call(admin, 'orgSettings.update', { publicUrl: null });
    assert.equal(removed.settings.publicUrl, undefined, 'null removes the public URL');

    assert.equal((await refusal(member, 'orgSettings.update', { reminderAfterMinutes: 5 })).status, 403);
    assert.equal((await refusal(member, 'channels.list')).status, 403);
    assert.equal((await refusal(member, 'channels.create', { kind: 'email', name: 'Mine', events: ['request.pending'] })).status, 403);

    const { preferences } = await call(member, 'preferences.get');
    assert.equal(preferences.email.events.length, 10, 'every event by default');
    await call(member, 'preferences.update', { email: { events: ['request.pending', 'request.decided'] } });
    assert.deepEqual((await call(member, 'preferences.get')).preferences.email.events, ['request.pending', 'request.decided']);
    assert.equal((await call(admin, 'preferences.get')).preferences.email.events.length, 10, "one person's choice is theirs alone");
  } finally {
    await admin.close();
    await member.close();
  }
});

test('offline: every notification channel says so, and nothing is sent', async () => {
  const core = await coreAs(ADAM);
  const before = (await call(core, 'channels.list')).channels;
  try {
    await b.server.stop();
    await until(async () => (await call(core, 'status.get')).state === 'offline', 20_000, 'offline');
    for (const [channel, input] of [
      ['channels.list', {}],
      ['channels.create', { kind: 'email', name: 'Offline', events: ['request.pending'] }],
      ['orgSettings.get', {}],
      ['preferences.update', { email: { events: [] } }],
    ] as const) {
      const e = await refusal(core, channel, input);
      assert.equal(e.code, 'offline', `${channel}: ${e.message}`);
    }
  } finally {
    await core.close();
    b.server = await b.server.start();
  }
  const back = await coreAs(ADAM);
  try {
    assert.deepEqual((await call(back, 'channels.list')).channels, before, 'nothing was made while offline');
  } finally {
    await back.close();
  }
});

test("the requester's desktop says when an admin cancels their request, not when they cancel it themselves", async () => {
  const sink = new RecordingSink();
  const sam = await coreAs(SAM, sink);
  try {
    const [theirs, mine] = await pendingForRhea(b, 2);
    await until(
      async () => (await sam.dispatch('request.get', { id: mine!.id })).ok && (await sam.dispatch('request.get', { id: theirs!.id })).ok,
      20_000,
      'cached',
    );

    await call(sam, 'outbox.enqueue', { type: 'cancel', requestId: mine!.id });
    await until(async () => (await call(sam, 'request.get', { id: mine!.id })).request.status === 'cancelled', 20_000, 'my cancel synced');

    const cancel = await b.api(OLIVIA).post(`/api/requests/${theirs!.id}/cancel`, {});
    assert.equal(cancel.status, 200, cancel.text);
    const shown = await until(() => sink.shown.find((n) => n.id === `request:${theirs!.id}:cancelled`), 20_000, 'the cancel notified');
    assert.equal(shown.title, 'Your request was cancelled');
    assert.match(shown.body, /cancelled by Olivia Hart$/);
    assert.equal(
      sink.shown.some((n) => n.id === `request:${mine!.id}:cancelled`),
      false,
      'my own cancel raised nothing',
    );
  } finally {
    await sam.close();
  }
});
