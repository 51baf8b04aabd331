// Where notices come from: the audit log after the notifier's cursor (what committed), and the
// clock (reminders, expiry warnings). Each runs in a transaction that also records that it ran
// (the cursor moves, the request's next reminder moves), so nothing is queued twice.
import type { ServiceContext } from '../domain/context.ts';
import type { StoreTx } from '../store/types.ts';
import { noticeFor, readDirectory, requestNotice } from './notices.ts';
import { queueNotice, type QueueOptions } from './queue.ts';

const MINUTE_MS = 60_000;
/** Audit events read per transaction. */
export const AUDIT_BATCH = 200;

/** Turns the audit events after the cursor into deliveries; returns how many events it read and deliveries it queued. */
export async function drainAuditLog(tx: StoreTx, options: Omit<QueueOptions, 'now'> & { now: Date }): Promise<{ events: number; queued: number }> {
  const cursor = await tx.notifyCursor();
  const events = await tx.auditPage(cursor, AUDIT_BATCH);
  if (events.length === 0) return { events: 0, queued: 0 };
  const channels = await tx.listChannels();
  let queued = 0;
  // Nobody to tell: only the cursor moves.
  const dir = channels.length > 0 ? await readDirectory(tx) : undefined;
  for (const event of dir ? events : []) {
    const notice = await noticeFor(tx, dir!, event);
    if (notice) queued += (await queueNotice(tx, notice, channels, options)).length;
  }
  await tx.setNotifyCursor(events[events.length - 1]!.seq);
  return { events: events.length, queued };
}

/** One reminder, if still due: queued, and the next one moved an interval on (never into the past). */
async function remind(tx: StoreTx, id: string, options: QueueOptions): Promise<number> {
  const [request, times] = await Promise.all([tx.get('request', id), tx.reminderTimes(id)]);
  const now = options.now.getTime();
  if (request?.status !== 'pending' || !times?.remindAt || Date.parse(times.remindAt) > now || Date.parse(request.expiresAt) <= now) return 0;
  const dir = await readDirectory(tx);
  const interval = dir.settings.reminderAfterMinutes * MINUTE_MS;
  const n = Math.max(1, Math.floor((now - Date.parse(request.createdAt)) / interval));
  const next = Math.max(Date.parse(times.remindAt) + interval, now + interval);
  await tx.setReminderTimes(id, { remindAt: new Date(next).toISOString() });
  const notice = requestNotice(dir, request, options.now.toISOString(), { event: 'request.reminder', n });
  return (await queueNotice(tx, notice, await tx.listChannels(), options)).length;
}

async function warnExpiring(tx: StoreTx, id: string, options: QueueOptions): Promise<number> {
  const [request, times] = await Promise.all([tx.get('request', id), tx.reminderTimes(id)]);
  const now = options.now.getTime();
  if (request?.status !== 'pending' || !times?.expiringAt || Date.parse(times.expiringAt) > now) return 0;
  await tx.setReminderTimes(id, { expiringAt: null });
  if (Date.parse(request.expiresAt) <= now) return 0;
  const dir = await readDirectory(tx);
  const notice = requestNotice(dir, request, options.now.toISOString(), { event: 'request.expiring' });
  return (await queueNotice(tx, notice, await tx.listChannels(), options)).length;
}

/** Queues the reminders and expiry warnings `store.dueReminders` found; each in its own transaction (which checks it is still due). */
export async function queueDueReminders(
  ctx: ServiceContext,
  due: { reminderIds: string[]; expiringIds: string[] },
  options: Omit<QueueOptions, 'now'>,
): Promise<number> {
  let queued = 0;
  for (const id of due.reminderIds) queued += await ctx.store.transact((tx) => remind(tx, id, { ...options, now: ctx.now() }));
  for (const id of due.expiringIds) queued += await ctx.store.transact((tx) => warnExpiring(tx, id, { ...options, now: ctx.now() }));
  return queued;
}
