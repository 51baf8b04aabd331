// What the notification suites share: making channels through the API (a webhook's secret handed
// to the receiver that checks it), reading a channel's deliveries, and waiting for one.
import assert from 'node:assert/strict';
import { AuditResponse, CreatedChannelResponse, DeliveriesResponse, type Channel, type Delivery, type NotifyEvent } from '../../shared/schemas/index.ts';
import { expectOk, uniq, waitFor, type Api } from './harness.ts';
import type { WebhookReceiver } from './receivers.ts';

export interface Filters {
  events: NotifyEvent[];
  projectIds?: string[];
  environmentIds?: string[];
}

export async function createChannel(api: Api, body: Record<string, unknown>): Promise<{ channel: Channel; secret?: string }> {
  return expectOk(await api.post('/api/channels', { name: uniq('channel'), ...body }), 201, CreatedChannelResponse, 'POST /api/channels');
}

/** A webhook channel posting to a fresh endpoint of `hook`, signed with a secret the receiver knows. */
export async function webhookChannel(api: Api, hook: WebhookReceiver, filters: Filters, name = 'hook'): Promise<{ channel: Channel; url: string }> {
  const url = hook.url(name);
  const secret = `test-secret-${uniq(name)}`;
  hook.trust(url, secret);
  const { channel } = await createChannel(api, { kind: 'webhook', url, secret, ...filters });
  return { channel, url };
}

/** An email channel for "the people concerned" (no `to`). */
export async function peopleChannel(api: Api, filters: Filters): Promise<Channel> {
  return (await createChannel(api, { kind: 'email', ...filters })).channel;
}

export async function deliveries(api: Api, channelId: string, query = ''): Promise<Delivery[]> {
  return expectOk(await api.get(`/api/channels/${channelId}/deliveries${query}`), 200, DeliveriesResponse, 'GET deliveries').deliveries;
}

/** A channel's deliveries about `subject` (a request, session or environment id). */
export async function deliveriesAbout(api: Api, channelId: string, subject: string): Promise<Delivery[]> {
  return (await deliveries(api, channelId, '?limit=500')).filter((d) => d.subject === subject);
}

/** Waits until the channel has a delivery `match` accepts; fails naming `what` and what was there. */
export async function waitForDelivery(api: Api, channelId: string, match: (d: Delivery) => boolean, what: string, timeoutMs = 15_000): Promise<Delivery> {
  let last: Delivery[] = [];
  const found = await waitFor(
    async () => {
      last = await deliveries(api, channelId, '?limit=500');
      return last.find(match);
    },
    timeoutMs,
    100,
  );
  assert.ok(found, `${what}: no such delivery within ${timeoutMs} ms; the channel has ${JSON.stringify(last.slice(0, 10))}`);
  return found;
}

/** The audit event of `type` about `subject` (its `at` is when the event happened). */
export async function auditEvent(api: Api, subject: string, type: string) {
  const events = expectOk(await api.get('/api/audit?after=0&limit=5000'), 200, AuditResponse).events;
  const e = events.find((x) => x.subject === subject && x.type === type);
  assert.ok(e, `audit event ${type} for ${subject}`);
  return e;
}

/** Every URL in a Block Kit message (buttons, links), wherever it sits. */
export function urlsIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(urlsIn);
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => (k === 'url' && typeof v === 'string' ? [v] : urlsIn(v)));
  return [];
}
