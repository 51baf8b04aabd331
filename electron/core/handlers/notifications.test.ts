// channels.create / channels.update: a refusal over a field comes back as `refused` at that field
// (the form shows it there); every other refusal is thrown as it is; offline nothing is sent.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError, type BackendClient } from '../client/index.ts';
import { CoreError } from '../ipc/dispatch.ts';
import { channelRefusal, notificationHandlers } from './notifications.ts';

const channel = {
  id: 'ch_1',
  kind: 'webhook' as const,
  name: 'Deploys',
  url: 'https://hooks.example.com/gh',
  hasSecret: true,
  events: ['request.pending' as const],
  createdAt: '2026-03-10T08:00:00.000Z',
  updatedAt: '2026-03-10T08:00:00.000Z',
};

function setup(answer: unknown) {
  const sent: unknown[] = [];
  const reply = async (...args: unknown[]) => {
    sent.push(args);
    if (answer instanceof Error) throw answer;
    return answer;
  };
  const client = { createChannel: reply, updateChannel: reply, deleteChannel: reply } as unknown as BackendClient;
  let offline = false;
  const handlers = notificationHandlers({
    connection: {
      online: () => {
        if (offline) throw new CoreError('offline', 'this needs the server, which is not reachable right now');
        return client;
      },
    },
  });
  return { handlers, sent, goOffline: () => (offline = true) };
}

const body = { kind: 'webhook' as const, name: 'Deploys', url: 'https://hooks.example.com/gh', events: ['request.pending' as const] };

test('created: the channel and its generated secret, sent with an idempotency key', async () => {
  const { handlers, sent } = setup({ channel, secret: 'whsec_0123456789abcdef' });
  assert.deepEqual(await handlers['channels.create'](body), { channel, secret: 'whsec_0123456789abcdef' });
  assert.equal(sent.length, 1);
  const [sentBody, key] = sent[0] as [unknown, string];
  assert.deepEqual(sentBody, body);
  assert.match(key, /^[0-9a-f-]{36}$/);
});

test('a 400 comes back as refused, each issue at its field path', async () => {
  const err = new ApiError(400, 'invalid_request', 'invalid body: ✖ must be an http:// or https:// URL → at url', [
    { path: ['url'], message: 'must be an http:// or https:// URL' },
    { path: ['to', 2], message: 'Invalid email address' },
  ]);
  const { handlers } = setup(err);
  assert.deepEqual(await handlers['channels.update']({ id: 'ch_1', url: 'https://x.example' }), {
    refused: {
      message: err.message,
      issues: [
        { path: 'url', message: 'must be an http:// or https:// URL' },
        { path: 'to.2', message: 'Invalid email address' },
      ],
    },
  });
});

test('an unknown project or environment is refused at its filter, as the server words it (400 naming the field) or as the API describes it (422)', () => {
  assert.deepEqual(channelRefusal(new ApiError(400, 'invalid_request', 'projectIds: unknown project "prj_gone"')), {
    refused: { message: 'projectIds: unknown project "prj_gone"', issues: [{ path: 'projectIds', message: 'unknown project "prj_gone"' }] },
  });
  assert.deepEqual(channelRefusal(new ApiError(400, 'invalid_request', 'only a webhook channel has a secret')), {
    refused: { message: 'only a webhook channel has a secret', issues: [] },
  });
  assert.deepEqual(channelRefusal(new ApiError(422, 'unknown_reference', 'unknown project prj_gone')), {
    refused: { message: 'unknown project prj_gone', issues: [{ path: 'projectIds', message: 'unknown project prj_gone' }] },
  });
  assert.deepEqual(channelRefusal(new ApiError(422, 'unknown_reference', 'unknown environment env_gone')), {
    refused: { message: 'unknown environment env_gone', issues: [{ path: 'environmentIds', message: 'unknown environment env_gone' }] },
  });
});

test('any other refusal is thrown as the server said it', async () => {
  const { handlers } = setup(new ApiError(403, 'forbidden', 'only owners and admins manage notification channels'));
  await assert.rejects(handlers['channels.create'](body), (e: ApiError) => e.status === 403 && e.code === 'forbidden');
  assert.throws(() => channelRefusal(new ApiError(422, 'other', 'something else')), /something else/);
});

test('offline: refused with the offline error before anything is sent', async () => {
  const { handlers, sent, goOffline } = setup({ channel });
  goOffline();
  await assert.rejects(handlers['channels.create'](body), (e: CoreError) => e.code === 'offline');
  await assert.rejects(handlers['channels.remove']({ id: 'ch_1' }), (e: CoreError) => e.code === 'offline');
  assert.deepEqual(sent, []);
});
