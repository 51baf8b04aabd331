// Notification channels (owners and admins): made, changed, deleted, test-sent; their deliveries
// listed and redelivered. A webhook secret is answered once, when it is made; a Slack URL is a
// credential too, so the API answers only its origin.
import { randomBytes } from 'node:crypto';
import { TEST_EVENT, type Channel, type CreateChannelBody, type Delivery, type PatchChannelBody, type User } from '../../shared/schemas/index.ts';
import { queueNotice } from '../notify/queue.ts';
import type { Notice } from '../notify/notices.ts';
import type { StoreReader, StoreTx, StoredChannel, StoredDelivery } from '../store/types.ts';
import { audit, type ServiceContext } from './context.ts';
import { DomainError, invalid } from './errors.ts';
import { newId } from './ids.ts';
import { accepted, changed, created, type Result } from './result.ts';

const channelNotFound = () => new DomainError('not_found', 'not_found', 'channel not found');

/** A channel as the API answers it. */
export function publicChannel(c: StoredChannel): Channel {
  const { secret, ...rest } = c;
  const url = c.kind === 'slack' && c.url ? `${new URL(c.url).origin}/…` : c.url;
  return { ...rest, ...(url !== undefined ? { url } : {}), ...(c.kind === 'webhook' ? { hasSecret: secret !== undefined } : {}) };
}

/** What the audit log keeps of a channel: never a secret, never a Slack URL. */
function auditShape(c: StoredChannel) {
  return {
    kind: c.kind,
    name: c.name,
    events: c.events,
    ...(c.kind === 'webhook' ? { url: c.url } : {}),
    ...(c.to ? { to: c.to } : {}),
    ...(c.projectIds ? { projectIds: c.projectIds } : {}),
    ...(c.environmentIds ? { environmentIds: c.environmentIds } : {}),
  };
}

async function assertKnown(tx: StoreReader, projectIds: string[] | undefined | null, environmentIds: string[] | undefined | null): Promise<void> {
  for (const id of projectIds ?? []) if (!(await tx.get('project', id))) throw invalid(`projectIds: unknown project "${id}"`);
  for (const id of environmentIds ?? []) if (!(await tx.get('environment', id))) throw invalid(`environmentIds: unknown environment "${id}"`);
}

export async function getChannel(store: StoreReader, id: string): Promise<StoredChannel> {
  const channel = await store.getChannel(id);
  if (!channel) throw channelNotFound();
  return channel;
}

export async function createChannel(
  ctx: ServiceContext,
  tx: StoreTx,
  actor: User,
  body: CreateChannelBody,
): Promise<Result<{ channel: Channel; secret?: string }>> {
  await assertKnown(tx, body.projectIds, body.environmentIds);
  const at = ctx.now().toISOString();
  const generated = body.kind === 'webhook' && body.secret === undefined ? `whsec_${randomBytes(24).toString('base64url')}` : undefined;
  const channel: StoredChannel = {
    id: newId('ch'),
    kind: body.kind,
    name: body.name,
    ...(body.url !== undefined ? { url: body.url } : {}),
    ...(body.kind === 'webhook' ? { secret: body.secret ?? generated } : {}),
    ...(body.to !== undefined ? { to: body.to } : {}),
    events: [...new Set(body.events)],
    ...(body.projectIds !== undefined ? { projectIds: [...new Set(body.projectIds)] } : {}),
    ...(body.environmentIds !== undefined ? { environmentIds: [...new Set(body.environmentIds)] } : {}),
    createdAt: at,
    updatedAt: at,
  };
  await tx.putChannel(channel);
  await audit(tx, ctx.now(), actor, 'channel.created', channel.id, auditShape(channel));
  return created({ channel: publicChannel(channel), ...(generated ? { secret: generated } : {}) });
}

export async function updateChannel(ctx: ServiceContext, tx: StoreTx, actor: User, id: string, patch: PatchChannelBody): Promise<Result<Channel>> {
  const current = await getChannel(tx, id);
  if (current.kind !== 'email' && patch.to != null) throw invalid('only an email channel has recipients (to)');
  if (current.kind === 'email' && patch.url !== undefined) throw invalid('an email channel has no url (it sends over the server’s SMTP)');
  if (current.kind !== 'webhook' && patch.secret !== undefined) throw invalid('only a webhook channel has a secret');
  await assertKnown(tx, patch.projectIds, patch.environmentIds);
  const next: StoredChannel = { ...current, updatedAt: ctx.now().toISOString() };
  if (patch.name !== undefined) next.name = patch.name;
  if (patch.url !== undefined) next.url = patch.url;
  if (patch.secret !== undefined) next.secret = patch.secret;
  if (patch.events !== undefined) next.events = [...new Set(patch.events)];
  if (patch.to === null) delete next.to;
  else if (patch.to !== undefined) next.to = patch.to;
  if (patch.projectIds === null) delete next.projectIds;
  else if (patch.projectIds !== undefined) next.projectIds = [...new Set(patch.projectIds)];
  if (patch.environmentIds === null) delete next.environmentIds;
  else if (patch.environmentIds !== undefined) next.environmentIds = [...new Set(patch.environmentIds)];
  await tx.putChannel(next);
  await audit(tx, ctx.now(), actor, 'channel.updated', id, { ...auditShape(next), ...(patch.secret !== undefined ? { secretChanged: true } : {}) });
  return changed(publicChannel(next));
}

export async function deleteChannel(ctx: ServiceContext, tx: StoreTx, actor: User, id: string): Promise<Result<Channel>> {
  const current = await getChannel(tx, id);
  await tx.removeChannel(id);
  await audit(tx, ctx.now(), actor, 'channel.deleted', id, auditShape(current));
  return changed(publicChannel(current));
}

/** The delivery as the API answers it (its body is what was sent, and may hold an unsubscribe token). */
export function publicDelivery(d: StoredDelivery): Delivery {
  const { body: _body, windowStart: _window, ...rest } = d;
  return rest;
}

/** A channel.test delivery to this channel alone (an email channel for the people concerned: to the caller). */
export async function testChannel(ctx: ServiceContext, tx: StoreTx, actor: User, id: string, apiBase: string): Promise<Result<Delivery>> {
  const channel = await getChannel(tx, id);
  const at = ctx.now().toISOString();
  const notice: Notice = {
    event: TEST_EVENT,
    at,
    subject: channel.id,
    data: { channel: { id: channel.id, name: channel.name }, actor: { id: actor.id, name: actor.name } },
    people: [actor],
    always: new Set([actor.id]),
    everywhere: true,
    title: `Test from Gatehouse: ${channel.name}`,
    fields: [
      ['Channel', channel.name],
      ['Sent by', actor.name],
    ],
    text: 'If you can read this, the channel works.',
  };
  const [delivery] = await queueNotice(tx, notice, [channel], { now: ctx.now(), apiBase, secret: await tx.notifySecret() });
  return accepted(publicDelivery(delivery!));
}

export async function redeliver(ctx: ServiceContext, tx: StoreTx, id: string): Promise<Result<Delivery>> {
  const d = await tx.getDelivery(id);
  if (!d) throw new DomainError('not_found', 'not_found', 'delivery not found');
  const at = ctx.now().toISOString();
  await tx.updateDelivery(id, { status: 'pending', attempts: d.attempts, lastError: d.lastError, nextAttemptAt: at, windowStart: at });
  return accepted(publicDelivery((await tx.getDelivery(id))!));
}
