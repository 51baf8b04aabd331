// Web mode over its real socket: the app process (`npm run web`) with its embedded demo backend.
// Every contract channel gets a bad input and must answer with an error naming the field.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ChannelName } from '../../shared/ipc.ts';
import { ipcCall, openWebSocket } from './helpers.ts';

let child: ChildProcess;
let dir: string;
let url: URL;
let secret: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gh-webmode-'));
  child = spawn(process.execPath, ['--import', 'tsx', 'electron/web.ts', '--data', dir, '--no-open'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = createInterface({ input: child.stdout! });
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('web mode did not print its address in 60 s')), 60_000);
    lines.on('line', (l) => {
      if (l.startsWith('open ')) {
        clearTimeout(timer);
        resolve(l);
      }
    });
    child.once('exit', (code) => reject(new Error(`web mode exited with ${code}`)));
  });
  const m = /^open (http:\/\/127\.0\.0\.1:\d+)\/#(.+)$/.exec(line);
  assert.ok(m, `last line "${line}" is "open http://127.0.0.1:PORT/#<secret>"`);
  url = new URL(m[1]!);
  secret = m[2]!;
});

after(async () => {
  if (child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  rmSync(dir, { recursive: true, force: true });
});

const connect = (opts: { secret?: string | null; origin?: string; host?: string } = {}) =>
  openWebSocket(url.port, opts.secret === undefined ? secret : opts.secret, { origin: opts.origin ?? url.origin, ...(opts.host ? { host: opts.host } : {}) });
const call = ipcCall;

test('refuses connections without the secret, with a wrong Origin or a foreign Host', async () => {
  await assert.rejects(connect({ secret: null }), /refused 403/);
  await assert.rejects(connect({ secret: `${secret}x` }), /refused 403/);
  await assert.rejects(connect({ origin: 'http://attacker.example' }), /refused 403/);
  await assert.rejects(connect({ host: `attacker.example:${url.port}` }), /refused 403/);
  (await connect()).close();
});

/** One bad input per channel and the field its error must name. A new channel needs a row here. */
const BAD: Record<ChannelName, [input: unknown, field: RegExp]> = {
  'session.get': [{ extra: 1 }, /extra/],
  'session.signIn': [{ serverUrl: 'ftp://x', token: 'abcdefgh12' }, /serverUrl/],
  'session.signOut': [{ now: true }, /now/],
  'status.get': [{ x: 1 }, /x/],
  'directory.get': [{ y: 1 }, /y/],
  'inbox.query': [{ limit: 'ten' }, /limit/],
  'request.get': [{ id: 42 }, /id/],
  'request.diff': [{}, /id/],
  'request.create': [{ action: 'release.deploy', resource: { environmentId: 7 } }, /resource\.environmentId/],
  'request.nudge': [{ id: 'req_1', userIds: [] }, /userIds/],
  'outbox.enqueue': [{ type: 'approve', requestId: 'req_1', comment: 5 }, /comment/],
  'outbox.list': [{ z: 1 }, /z/],
  'outbox.dismiss': [{ id: null }, /id/],
  'outbox.enqueueHeld': [{ op: { type: 'cancel', requestId: 'req_1' }, holdSeconds: 0 }, /holdSeconds/],
  'outbox.undo': [{ id: 3 }, /id/],
  'preview.action': [{ action: 'deploy.everything', resource: {} }, /action/],
  'policy.try': [{ draft: { name: 'x' }, action: 'release.deploy', resource: {} }, /draft\.actions/],
  'policy.replay': [{ draft: { name: 'x', actions: ['release.deploy'], approvers: { userIds: [], teamIds: [], orgRoles: [] }, quorum: {} }, days: 91 }, /days/],
  'breakglass.list': [{ q: 1 }, /q/],
  'breakglass.get': [{ id: 5 }, /id/],
  'breakglass.review': [{ id: 'bg_1', verdict: 'fine', notes: 'the incident was real' }, /verdict/],
  'audit.page': [{ limit: -3 }, /limit/],
  'request.history': [{ id: '' }, /id/],
  'audit.verify': [{ deep: true }, /deep/],
  'audit.export': [{ format: 'xlsx' }, /format/],
  'witness.get': [{ reset: true }, /reset/],
  'tokens.list': [{ userId: 7 }, /userId/],
  'tokens.revoke': [{ id: 7 }, /id/],
  'tokens.create': [{ name: 'ci', expiresInDays: 0 }, /expiresInDays/],
  'users.create': [{ name: 'Zoe', email: 'not-an-email', orgRole: 'member' }, /email/],
  'users.update': [{ id: 'usr_1', orgRole: 'superuser' }, /orgRole/],
  'users.deactivate': [{ id: '' }, /id/],
  'users.reactivate': [{ userId: 'usr_1' }, /userId|id/],
  'teams.create': [{ name: '' }, /name/],
  'insights.get': [{ days: 0 }, /days/],
  'review.viewed.get': [{ requestId: 'req_1', digest: 'x' }, /digest/],
  'review.viewed.set': [{ requestId: 'req_1', digest: 'sha256:1', path: 'a.yaml', viewed: 'yes' }, /viewed/],
  'settings.get': [{ all: true }, /all/],
  'settings.update': [{ notifications: { quietHours: { start: '25:00', end: '07:00' } } }, /notifications\.quietHours\.start/],
  'policies.save': [{ name: 'P', actions: ['release.deploy'], approvers: {}, quorum: {}, conditions: { startHour: 18 } }, /conditions\.endHour/],
  'policies.delete': [{ id: '' }, /id/],
  'bindings.create': [{ policyId: 'pol_1', scope: 'project' }, /targetId/],
  'bindings.delete': [{ id: 5 }, /id/],
  'environment.update': [{ id: 'env_1', protection: 'sealed' }, /protection/],
  'channels.list': [{ kind: 'webhook' }, /kind/],
  'channels.get': [{ id: 5 }, /id/],
  'channels.create': [{ kind: 'webhook', name: 'Hook', events: ['request.pending'] }, /url: a webhook channel needs a url/],
  'channels.update': [{ id: 'ch_1', kind: 'email' }, /kind/],
  'channels.remove': [{ id: '' }, /id/],
  'channels.test': [{ channelId: 'ch_1' }, /channelId|id/],
  'channels.deliveries': [{ id: 'ch_1', status: 'lost' }, /status/],
  'deliveries.redeliver': [{ id: 9 }, /id/],
  'orgSettings.get': [{ all: true }, /all/],
  'orgSettings.update': [{ reminderAfterMinutes: 0 }, /reminderAfterMinutes/],
  'preferences.get': [{ user: 'usr_1' }, /user/],
  'preferences.update': [{ email: { events: ['request.sneezed'] } }, /email\.events\.0/],
  'github.status': [{ appId: '1' }, /appId/],
  'github.links.list': [{ projectId: 'prj_1' }, /projectId/],
  'github.links.create': [{ repository: 'acme', projectId: 'prj_1' }, /repository: must be a repository as owner\/name/],
  'github.links.remove': [{ id: '' }, /id/],
};

test('a bad input to every channel is an invalid_input error naming the field', async () => {
  const ws = await connect();
  try {
    for (const [channel, [input, field]] of Object.entries(BAD)) {
      const r = await call(ws, channel, input);
      assert.equal(r.ok, false, channel);
      assert.equal(r.error!.code, 'invalid_input', `${channel}: ${r.error!.message}`);
      assert.match(r.error!.message, field, channel);
    }
    assert.equal((await call(ws, 'no.such.channel', {})).error!.code, 'unknown_channel');
  } finally {
    ws.close();
  }
});

test('the embedded backend is synced: the demo inbox arrives and a request previews offline-style', async () => {
  const ws = await connect();
  try {
    const session = await call(ws, 'session.get', {});
    assert.equal(session.ok, true);
    assert.equal(session.data.mode, 'web');
    assert.equal(session.data.user.email, 'rhea.manning@example.com');
    let inbox: any;
    for (let i = 0; i < 100; i++) {
      inbox = await call(ws, 'inbox.query', { status: 'pending' });
      if (inbox.ok && inbox.data.total >= 13) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(inbox.data.total, 13);
    assert.equal(inbox.data.counts.byStatus.pending, 13);
    const approvable = inbox.data.rows.filter((r: any) => r.canApprove);
    assert.ok(approvable.length > 0, 'the release manager can approve some demo requests');
    const detail = await call(ws, 'request.get', { id: approvable[0].request.id });
    assert.equal(detail.ok, true);
    assert.equal(detail.data.canApprove, true);
    assert.ok(detail.data.progress.gates.length > 0);
    const insights = await call(ws, 'insights.get', {});
    assert.equal(insights.ok, true);
    assert.equal(insights.data.days, 30);
    assert.equal(insights.data.oldestWaiting.length, 10, 'the demo has more than ten pending requests');
    const csv = await call(ws, 'audit.export', { format: 'csv' });
    assert.equal(csv.ok, true);
    assert.match(csv.data.text, /^seq,at,actorId,type,subject,/);
    assert.match(csv.data.filename, /^gatehouse-audit-\d{4}-\d{2}-\d{2}\.csv$/);
    const history = await call(ws, 'request.history', { id: approvable[0].request.id });
    assert.equal(history.ok, true);
    assert.equal(history.data.events[0].type, 'request.created');
    const missing = await call(ws, 'request.get', { id: 'req_doesnotexist' });
    assert.deepEqual(missing.error, { code: 'not_found', message: 'request not found', status: 404 });
  } finally {
    ws.close();
  }
});

test('the attack: the page cannot point the stored token at another server through settings.update', async () => {
  const ws = await connect();
  try {
    const before = await call(ws, 'session.get', {});
    const r = await call(ws, 'settings.update', { serverUrl: 'https://attacker.example' });
    assert.equal(r.ok, false);
    assert.equal(r.error!.code, 'invalid_input');
    assert.match(r.error!.message, /serverUrl/);
    const after = await call(ws, 'session.get', {});
    assert.equal(after.data.serverUrl, before.data.serverUrl);
    assert.notEqual((await call(ws, 'settings.get', {})).data.serverUrl, 'https://attacker.example');
  } finally {
    ws.close();
  }
});
