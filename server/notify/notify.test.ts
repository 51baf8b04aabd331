// The notification pieces that decide without a network: who hears what, which channels take it,
// how a message is made safe to send, how unsubscribe links are signed, how retries back off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApprovalRequest } from '../../shared/schemas/index.ts';
import { DEFAULT_SETTINGS } from '../../shared/schemas/index.ts';
import { approve, environment, gate, session, user, usersById } from '../../shared/policy/testing.ts';
import type { AuditEvent } from '../../shared/schemas/index.ts';
import type { StoredChannel, StoreReader } from '../store/types.ts';
import { emailMessage, slackBody, webhookBody } from './messages.ts';
import { noticeFor, requestNotice, type Directory } from './notices.ts';
import { channelTakes } from './queue.ts';
import { retryDelayMs } from './service.ts';
import { readUnsubscribeToken, unsubscribeToken } from './unsubscribe.ts';

const alice = user('alice', { name: 'Alice', teamIds: ['sre'] });
const bob = user('bob', { name: 'Bob', teamIds: ['sre'] });
const gone = user('gone', { teamIds: ['sre'], active: false });
const rick = user('rick', { name: 'Rick' });
const sec = user('sec', { name: 'Sec', teamIds: ['security'] });
const prod = environment('env_prod', { name: 'production', projectId: 'prj_pay' });

function dir(over: Partial<Directory['settings']> = {}): Directory {
  return {
    users: usersById(alice, bob, gone, rick, sec),
    names: new Map([
      ['prj_pay', 'payments'],
      ['sre', 'SRE'],
    ]),
    environments: new Map([[prod.id, prod]]),
    settings: { ...DEFAULT_SETTINGS, ...over },
  };
}

function req(over: Partial<ApprovalRequest> = {}): ApprovalRequest {
  return {
    id: 'req_1',
    action: 'release.deploy',
    resource: { environmentId: prod.id, projectId: 'prj_pay' },
    requesterId: 'rick',
    justification: 'ship it',
    payload: { diffLines: 0, diffBytes: 0 },
    digest: 'd',
    gates: [
      gate('g', {
        name: 'SRE gate',
        approvers: { userIds: [], teamIds: ['sre'], orgRoles: [] },
        quorum: { minApprovals: 2, minDistinctTeams: 0, requiredUserIds: [], requiredTeamIds: [], requiredOrgRoles: [] },
      }),
    ],
    decisions: [],
    status: 'pending',
    warnings: [],
    nudges: [],
    createdAt: '2026-03-10T08:00:00.000Z',
    updatedAt: '2026-03-10T08:00:00.000Z',
    expiresAt: '2026-03-17T08:00:00.000Z',
    ...over,
  } as ApprovalRequest;
}

const ids = (users: { id: string }[]) => users.map((u) => u.id).sort();

test('a pending request goes to its eligible approvers who have not decided: not the requester, not the deactivated', () => {
  const n = requestNotice(dir(), req(), '2026-03-10T08:00:00.000Z', { event: 'request.pending' });
  assert.deepEqual(ids(n.people), ['alice', 'bob']);
  assert.equal(n.title, 'Waiting for you: Deploy · payments / production');
  assert.equal(n.projectId, 'prj_pay');
  assert.equal(n.environmentId, prod.id);
  const data = n.data.request as { links: { app: string; web?: string }; progress: string; requester: { name: string } };
  assert.equal(data.links.app, 'gatehouse://request/req_1');
  assert.equal(data.links.web, undefined, 'no public URL: no web link');
  assert.equal(data.requester.name, 'Rick');
  assert.match(data.progress, /^0 of 2 · missing/);
});

test('after one approval the others hear of it, not the one who acted; the web link follows the public URL', () => {
  const r = req({ decisions: [approve('alice')] });
  const n = requestNotice(dir({ publicUrl: 'https://gatehouse.example.com/' }), r, 'x', {
    event: 'request.updated',
    actorId: 'alice',
    decision: { kind: 'approve' },
  });
  assert.deepEqual(ids(n.people), ['bob']);
  assert.equal(n.title, 'Alice approved: Deploy · payments / production');
  assert.equal((n.data.request as { links: { web: string } }).links.web, 'https://gatehouse.example.com/#/request/req_1');
});

test('a decision is told to the requester, unless they cancelled it themselves', () => {
  const approved = requestNotice(dir(), req({ status: 'approved' }), 'x', { event: 'request.decided', actorId: 'alice', outcome: 'approved' });
  assert.deepEqual(ids(approved.people), ['rick']);
  assert.equal(approved.data.outcome, 'approved');
  const cancelled = requestNotice(dir(), req({ status: 'cancelled' }), 'x', { event: 'request.decided', actorId: 'rick', outcome: 'cancelled' });
  assert.deepEqual(cancelled.people, []);
});

test('an expiring request warns the requester and the approvers still undecided', () => {
  const n = requestNotice(dir(), req({ decisions: [approve('bob')] }), 'x', { event: 'request.expiring' });
  assert.deepEqual(ids(n.people), ['alice', 'rick']);
});

test('a break-glass start reaches the security teams whatever the filters and their preferences', async () => {
  const s = session('bg_1', { userId: 'rick', scope: { actions: ['release.deploy'], environmentIds: [prod.id] } });
  const store = { get: async () => s } as unknown as StoreReader;
  const event = { type: 'breakglass.started', subject: 'bg_1', at: s.startedAt, actorId: 'rick', details: {} } as unknown as AuditEvent;
  const n = (await noticeFor(store, dir({ securityTeamIds: ['security'] }), event))!;
  assert.equal(n.event, 'breakglass.started');
  assert.deepEqual(ids(n.people), ['sec']);
  assert.deepEqual([...n.always], ['sec']);
  assert.equal(n.everywhere, true);
  const filtered: StoredChannel = {
    id: 'ch',
    kind: 'webhook',
    name: 'x',
    url: 'http://h',
    events: ['request.pending'],
    projectIds: ['prj_other'],
    createdAt: 'x',
    updatedAt: 'x',
  };
  assert.ok(channelTakes(filtered, n), 'every channel, whatever its filters');
});

test('a settling approval is told once, as the decision, not also as an update', async () => {
  const store = { get: async () => req({ status: 'approved' }) } as unknown as StoreReader;
  const event = { type: 'request.approval', subject: 'req_1', at: 'x', actorId: 'alice', details: {} } as unknown as AuditEvent;
  assert.equal(await noticeFor(store, dir(), event), undefined);
});

test('channels take what their event, project and environment filters name', () => {
  const n = requestNotice(dir(), req(), 'x', { event: 'request.pending' });
  const ch = (over: Partial<StoredChannel>): StoredChannel => ({
    id: 'ch',
    kind: 'webhook',
    name: 'x',
    url: 'http://h',
    events: ['request.pending'],
    createdAt: 'x',
    updatedAt: 'x',
    ...over,
  });
  assert.ok(channelTakes(ch({}), n));
  assert.ok(!channelTakes(ch({ events: ['request.decided'] }), n));
  assert.ok(channelTakes(ch({ projectIds: ['prj_pay'] }), n));
  assert.ok(!channelTakes(ch({ projectIds: ['prj_other'] }), n));
  assert.ok(channelTakes(ch({ environmentIds: [prod.id] }), n));
  assert.ok(!channelTakes(ch({ environmentIds: ['env_other'] }), n));
});

test('messages: the webhook body names its delivery; Slack escapes markup; an email header never breaks its line', () => {
  const n = requestNotice(dir(), req({ justification: '<@here> & now\r\nBcc: evil@example.com' }), 'x', { event: 'request.pending' });
  const body = JSON.parse(webhookBody('dlv_1', n)) as { id: string; event: string; data: { request: { id: string } } };
  assert.equal(body.id, 'dlv_1');
  assert.equal(body.event, 'request.pending');
  assert.equal(body.data.request.id, 'req_1');
  const slack = slackBody(n);
  assert.ok(slack.includes('&lt;@here&gt; &amp; now'), slack);
  assert.ok(slack.includes('gatehouse://request/req_1'));
  const evil = requestNotice(dir(), req({ resource: { projectId: 'prj_pay' }, action: 'release.deploy' }), 'x', { event: 'request.pending' });
  evil.title = 'x\r\nBcc: evil@example.com';
  const mail = emailMessage(evil, 'a@example.com', 'http://127.0.0.1/api/unsubscribe/t');
  assert.ok(!/[\r\n]/.test(mail.subject), mail.subject);
  assert.ok(mail.html.includes('&lt;@here&gt;') || !mail.html.includes('<@here>'));
  assert.equal(mail.unsubscribe, 'http://127.0.0.1/api/unsubscribe/t');
});

test('unsubscribe tokens: read back only with the same secret, untampered', () => {
  const t = unsubscribeToken('s3cret', 'usr_1', 'request.pending');
  assert.deepEqual(readUnsubscribeToken('s3cret', t), { userId: 'usr_1', event: 'request.pending' });
  assert.equal(readUnsubscribeToken('other', t), undefined);
  const [payload, sig] = t.split('.');
  const forged = `${Buffer.from('usr_2\nrequest.pending').toString('base64url')}.${sig}`;
  assert.equal(readUnsubscribeToken('s3cret', forged), undefined);
  assert.equal(readUnsubscribeToken('s3cret', `${payload}.`), undefined);
  assert.equal(readUnsubscribeToken('s3cret', 'garbage'), undefined);
  assert.equal(readUnsubscribeToken('s3cret', `${Buffer.from('usr_1\nnot.an.event').toString('base64url')}.${sig}`), undefined);
  // A 32-byte MAC's last base64url character carries two bits: the four characters that share them
  // decode alike, and every one but the token's own is refused.
  const last = sig!.at(-1)!;
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const group = Math.floor(alphabet.indexOf(last) / 4) * 4;
  for (const c of alphabet.slice(group, group + 4)) {
    if (c === last) continue;
    assert.equal(readUnsubscribeToken('s3cret', `${payload}.${sig!.slice(0, -1)}${c}`), undefined, `a last character ${c} for ${last}`);
  }
});

test('retries back off from 5 s, doubling, at most an hour, within ±20 %', () => {
  assert.equal(
    retryDelayMs(1, () => 0.5),
    5000,
  );
  assert.equal(
    retryDelayMs(2, () => 0.5),
    10_000,
  );
  assert.equal(
    retryDelayMs(4, () => 0.5),
    40_000,
  );
  assert.equal(
    retryDelayMs(30, () => 0.5),
    3_600_000,
  );
  assert.equal(
    retryDelayMs(1, () => 0),
    4000,
  );
  assert.equal(
    retryDelayMs(1, () => 0.999999),
    6000,
  );
});
