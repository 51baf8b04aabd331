// The notification screens' words (docs/notifications.md): each event and kind in words, a
// delivery's standing, a channel's filters, refusals in words, and the schemas' issues put at the
// form fields that caused them.
import type { Channel, ChannelKind, Delivery, NotifyEvent } from '../../../shared/schemas/index.ts';

export const NOTIFY_OFFLINE = 'Notifications are kept on the server; you are offline, so they can’t be read or changed now.';
export const CHANNELS_FORBIDDEN = 'Only owners and admins see and manage notification channels. Ask one of them to add a channel for your team.';

export const EVENT_WORDS: Record<NotifyEvent, { label: string; hint: string }> = {
  'request.pending': { label: 'Request waiting', hint: 'a request is filed and waits for approval' },
  'request.updated': { label: 'Request updated', hint: 'someone approved or rejected without settling it, or nudged' },
  'request.decided': { label: 'Request decided', hint: 'approved, rejected, cancelled or expired' },
  'request.reminder': { label: 'Reminder', hint: 'still waiting after the reminder interval, and every interval after' },
  'request.escalated': { label: 'Escalated', hint: 'a gate escalated to more approvers' },
  'request.expiring': { label: 'Expiring soon', hint: 'a day before a pending request expires' },
  'breakglass.started': { label: 'Break-glass started', hint: 'always sent to every channel and the security teams' },
  'breakglass.ended': { label: 'Break-glass ended', hint: 'revoked or expired' },
  'environment.frozen': { label: 'Environment frozen', hint: 'an environment is frozen' },
  'environment.unfrozen': { label: 'Environment unfrozen', hint: 'an environment is unfrozen' },
};

/** What a delivery's `event` is in words (a test-send's `channel.test` too). */
export function eventLabel(event: string): string {
  if (event === 'channel.test') return 'Test';
  return (EVENT_WORDS as Record<string, { label: string } | undefined>)[event]?.label ?? event;
}

export const KIND_LABELS: Record<ChannelKind, string> = { webhook: 'Webhook', slack: 'Slack', email: 'Email' };

export const STATUS_WORDS: Record<Delivery['status'], string> = { pending: 'Pending', delivered: 'Delivered', failed: 'Failed' };

/** Where a channel sends, in words: its URL, its addresses, or the people concerned. */
export function destination(c: Channel): string {
  if (c.kind === 'email') return c.to?.length ? c.to.join(', ') : 'the people concerned';
  return c.url ?? '';
}

/** A channel's filters in words: "all projects" or the names, "all environments" or the names. */
export function filterWords(c: Pick<Channel, 'projectIds' | 'environmentIds'>, name: (id: string) => string): string {
  const projects = c.projectIds?.length ? c.projectIds.map(name).join(', ') : 'all projects';
  const environments = c.environmentIds?.length ? c.environmentIds.map(name).join(', ') : 'all environments';
  return `${projects} · ${environments}`;
}

/** A refusal in words: offline and forbidden say what they mean here. */
export function notifyError(err: unknown, forbidden = CHANNELS_FORBIDDEN): string {
  const e = err as { code?: unknown; status?: unknown; message?: unknown } | undefined;
  if (e?.code === 'offline' || e?.code === 'disconnected') return NOTIFY_OFFLINE;
  if (e?.code === 'signed_out') return 'Sign in to a Gatehouse server first.';
  if (e?.code === 'forbidden' || e?.status === 403) return forbidden;
  return err instanceof Error ? err.message : String(err);
}

export function isOffline(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return code === 'offline' || code === 'disconnected' || code === 'signed_out';
}

export function isForbidden(err: unknown): boolean {
  const e = err as { code?: unknown; status?: unknown } | undefined;
  return e?.code === 'forbidden' || e?.status === 403;
}

/** The channel form's fields, as the schemas' paths name them. */
export type ChannelField = 'kind' | 'name' | 'url' | 'secret' | 'to' | 'events' | 'projectIds' | 'environmentIds';
const CHANNEL_FIELDS = new Set<string>(['kind', 'name', 'url', 'secret', 'to', 'events', 'projectIds', 'environmentIds']);

/**
 * Issues (the schema's, or the server's as `path: "to.2"`) at their fields: the first for each
 * field, with the address it is about for a recipient. What belongs to no field goes to `form`.
 */
export function channelProblems(
  issues: readonly { path: readonly PropertyKey[] | string; message: string }[],
  to: readonly string[] = [],
): Partial<Record<ChannelField | 'form', string>> {
  const out: Partial<Record<ChannelField | 'form', string>> = {};
  for (const issue of issues) {
    const path = typeof issue.path === 'string' ? issue.path.split('.').filter(Boolean) : issue.path.map(String);
    const field = CHANNEL_FIELDS.has(path[0] ?? '') ? (path[0] as ChannelField) : 'form';
    if (out[field] !== undefined) continue;
    const index = field === 'to' && path[1] !== undefined ? Number(path[1]) : Number.NaN;
    out[field] = Number.isInteger(index) && to[index] !== undefined ? `“${to[index]}”: ${issue.message}` : issue.message;
  }
  return out;
}

/** "ops@example.com, sre@example.com\nlead@example.com" → the addresses, blanks and repeats dropped. */
export function parseRecipients(text: string): string[] {
  return [
    ...new Set(
      text
        .split(/[\s,;]+/)
        .map((a) => a.trim())
        .filter(Boolean),
    ),
  ];
}
