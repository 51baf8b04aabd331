// Queues a notice's deliveries, in the caller's transaction: one per channel that takes it, and
// for an email channel one per recipient — its own address list, or the people concerned whose
// preferences include the event.
import { TEST_EVENT, type NotifyEvent, type User } from '../../shared/schemas/index.ts';
import { newId } from '../domain/ids.ts';
import type { StoredChannel, StoredDelivery, StoreTx } from '../store/types.ts';
import { emailMessage, slackBody, webhookBody } from './messages.ts';
import type { Notice } from './notices.ts';
import { unsubscribeToken } from './unsubscribe.ts';

export interface QueueOptions {
  now: Date;
  /** Where this server is reached: unsubscribe links start with it. */
  apiBase: string;
  /** The key that signs unsubscribe links. */
  secret: string;
}

/** Whether the channel's filters let the notice through. */
export function channelTakes(channel: StoredChannel, notice: Notice): boolean {
  if (notice.everywhere || notice.event === TEST_EVENT) return true;
  if (!channel.events.includes(notice.event as NotifyEvent)) return false;
  if (channel.projectIds && !(notice.projectId && channel.projectIds.includes(notice.projectId))) return false;
  if (channel.environmentIds && !(notice.environmentId && channel.environmentIds.includes(notice.environmentId))) return false;
  return true;
}

function delivery(channel: StoredChannel, notice: Notice, now: Date, body: (id: string) => string, to?: string): StoredDelivery {
  const id = newId('dlv');
  const at = now.toISOString();
  return {
    id,
    channelId: channel.id,
    event: notice.event,
    subject: notice.subject,
    ...(to !== undefined ? { to } : {}),
    status: 'pending',
    attempts: 0,
    createdAt: at,
    windowStart: at,
    nextAttemptAt: at,
    body: body(id),
  };
}

async function wantsEmail(tx: StoreTx, user: User, notice: Notice): Promise<boolean> {
  if (notice.always.has(user.id) || notice.event === TEST_EVENT) return true;
  return (await tx.preferences(user.id)).email.events.includes(notice.event as NotifyEvent);
}

function unsubscribeUrl(options: QueueOptions, user: User, notice: Notice): string | undefined {
  if (notice.event === TEST_EVENT || notice.always.has(user.id)) return undefined;
  return `${options.apiBase.replace(/\/+$/, '')}/api/unsubscribe/${unsubscribeToken(options.secret, user.id, notice.event as NotifyEvent)}`;
}

/** The deliveries of one notice to one channel. */
async function forChannel(tx: StoreTx, channel: StoredChannel, notice: Notice, options: QueueOptions): Promise<StoredDelivery[]> {
  switch (channel.kind) {
    case 'webhook':
      return [delivery(channel, notice, options.now, (id) => webhookBody(id, notice))];
    case 'slack':
      return [delivery(channel, notice, options.now, () => slackBody(notice))];
    case 'email': {
      if (channel.to) return channel.to.map((to) => delivery(channel, notice, options.now, () => JSON.stringify(emailMessage(notice, to, undefined)), to));
      const out: StoredDelivery[] = [];
      for (const user of notice.people) {
        if (!(await wantsEmail(tx, user, notice))) continue;
        const message = emailMessage(notice, user.email, unsubscribeUrl(options, user, notice));
        out.push(delivery(channel, notice, options.now, () => JSON.stringify(message), user.email));
      }
      return out;
    }
  }
}

/** Queues the notice on every channel that takes it; returns the deliveries made. */
export async function queueNotice(tx: StoreTx, notice: Notice, channels: readonly StoredChannel[], options: QueueOptions): Promise<StoredDelivery[]> {
  const made: StoredDelivery[] = [];
  for (const channel of channels) {
    if (!channelTakes(channel, notice)) continue;
    for (const d of await forChannel(tx, channel, notice, options)) {
      await tx.insertDelivery(d);
      made.push(d);
    }
  }
  return made;
}
