// Deliveries are durable (docs/notifications.md "Delivery"): a receiver that is down gets its
// deliveries once it is back, retried with the same id and the last error kept meanwhile, and a
// server killed with deliveries queued sends each of them, once, after it starts again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Delivery, Environment } from '../../shared/schemas/index.ts';
import { cleanupTempDirs, initDir, killAll, startServer, waitFor, type ServerProcess } from './harness.ts';
import { setupOrg, type Org } from './fixtures.ts';
import { WebhookReceiver } from './receivers.ts';
import { deliveries, waitForDelivery, webhookChannel } from './notify-fixtures.ts';

// The first retry is due 5 s after a failure and the next 10 s later (±20 %): waits allow for both.
const RETRIES_MS = 40_000;

let server: ServerProcess;
let org: Org;
let hook: WebhookReceiver;

before(async () => {
  const { dir, ownerToken } = await initDir();
  server = await startServer(dir);
  org = await setupOrg(() => server.url, ownerToken);
  hook = await WebhookReceiver.start();
});
after(async () => {
  await server?.stop();
  await hook?.close();
  killAll();
  cleanupTempDirs();
});

async function gatedEnv(): Promise<Environment> {
  const env = await org.env();
  await org.policyOn(env.id, { actions: ['release.deploy'], teamIds: [org.alpha.id], minApprovals: 2 });
  return env;
}

test('a receiver down for a while (503, then refusing connections) gets the delivery once it is back: same id, attempts > 1, lastError set while failing', async () => {
  const env = await gatedEnv();
  const { channel, url } = await webhookChannel(org.owner.api, hook, { events: ['request.pending'], environmentIds: [env.id] });
  await hook.down('unavailable');
  const r = await org.request(org.rm, env.id, 'pending');

  const failed = await waitForDelivery(
    org.owner.api,
    channel.id,
    (d) => d.subject === r.id && d.attempts >= 1 && d.lastError !== undefined,
    'a failed attempt',
  );
  assert.equal(failed.status, 'pending', 'still pending: it will be retried');
  assert.match(failed.lastError!, /503/, 'the last error names the answer');
  assert.ok(failed.nextAttemptAt && Date.parse(failed.nextAttemptAt) > Date.parse(failed.createdAt), 'a retry is scheduled');
  assert.equal(hook.delivered(url).length, 0);

  await hook.down('refusing');
  const refused = await waitForDelivery(org.owner.api, channel.id, (d) => d.id === failed.id && d.attempts >= 2, 'a second failed attempt', RETRIES_MS);
  assert.equal(refused.status, 'pending');
  assert.ok(refused.lastError && !/503/.test(refused.lastError), `the last error is now the refused connection: ${refused.lastError}`);

  await hook.up();
  const body = await hook.next((b) => b.id === failed.id, 'the delivery after the receiver came back', url, RETRIES_MS);
  assert.equal(body.data.request.id, r.id);
  const done = await waitForDelivery(org.owner.api, channel.id, (d) => d.id === failed.id && d.status === 'delivered', 'delivered');
  assert.ok(done.attempts > 2, `attempts counts the failures: ${done.attempts}`);
  assert.ok(done.deliveredAt);
  const mine = (await deliveries(org.owner.api, channel.id)).filter((d) => d.subject === r.id);
  assert.deepEqual(
    mine.map((d) => d.id),
    [failed.id],
    'one delivery, retried, not copies',
  );
  assert.equal(hook.attemptsOf(failed.id).filter((h) => h.status === 503).length, 1, 'the 503 attempt reached the receiver with the same id');
  assert.equal(hook.delivered(url).length, 1, 'nothing else reached the channel');
  assert.deepEqual(hook.problems, []);
});

test('kill -9 with deliveries queued (receiver down), restart with the receiver up: every delivery arrives after the restart, each id once', async () => {
  const env = await gatedEnv();
  const { channel, url } = await webhookChannel(org.owner.api, hook, { events: ['request.pending'], environmentIds: [env.id] });
  await hook.down('unavailable');
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) ids.push((await org.request(org.rm, env.id, 'pending')).id);
  let queued: Delivery[] = [];
  const allTried = await waitFor(
    async () => {
      queued = (await deliveries(org.owner.api, channel.id)).filter((d) => ids.includes(d.subject ?? ''));
      return queued.length === ids.length && queued.every((d) => d.attempts >= 1 && d.status === 'pending');
    },
    15_000,
    100,
  );
  assert.ok(allTried, `five deliveries queued and tried once: ${JSON.stringify(queued)}`);
  assert.equal(hook.delivered(url).length, 0);

  await server.kill9();
  await hook.up();
  await server.start();

  const arrived = await waitFor(async () => hook.delivered(url).length >= ids.length, RETRIES_MS);
  assert.ok(arrived, `all five arrived after the restart; got ${hook.delivered(url).length}`);
  assert.deepEqual(
    hook
      .delivered(url)
      .map((b) => b.id)
      .sort(),
    queued.map((d) => d.id).sort(),
    'the queued ids, each once',
  );
  assert.deepEqual(
    hook
      .delivered(url)
      .map((b) => b.data.request.id)
      .sort(),
    [...ids].sort(),
  );
  for (const d of queued) await waitForDelivery(org.owner.api, channel.id, (x) => x.id === d.id && x.status === 'delivered', `${d.id} delivered`);
  const after = (await deliveries(org.owner.api, channel.id)).filter((d) => ids.includes(d.subject ?? ''));
  assert.equal(after.length, ids.length, 'the restart queued nothing twice (the notifier’s cursor survived)');
  assert.deepEqual(hook.problems, [], 'no id answered 2xx twice');
});
