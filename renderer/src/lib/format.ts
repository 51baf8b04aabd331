// Words for the screens: action names, ages, statuses, conflicts.
import type { RequestStatus } from '../../../shared/schemas/index.ts';
import type { OutboxConflict } from '../../../shared/desktop/outbox.ts';

export { ACTION_LABELS } from '../../../shared/inbox.ts';

export const GROUP_LABELS: Record<string, string> = {
  release: 'Release',
  promotion: 'Promotion',
  rollback: 'Rollback',
  cluster: 'Cluster',
  project: 'Project',
  security: 'Security',
};

export const STATUS_LABELS: Record<RequestStatus, string> = {
  pending: 'Pending',
  approved: 'Approved',
  rejected: 'Rejected',
  cancelled: 'Cancelled',
  expired: 'Expired',
};

/** "now", "4m", "3h", "2d", "5w" — compact, for dense rows. */
export function age(iso: string, now: number): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return 'now';
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 14) return `${d}d`;
  return `${Math.floor(d / 7)}w`;
}

/** "4 minutes ago", for places with room. */
export function ago(iso: string, now: number): string {
  const s = Math.round((now - Date.parse(iso)) / 1000);
  const future = s < 0;
  const a = Math.abs(s);
  const unit =
    a < 60 ? ['second', a] : a < 3600 ? ['minute', Math.floor(a / 60)] : a < 172800 ? ['hour', Math.floor(a / 3600)] : ['day', Math.floor(a / 86400)];
  const [name, n] = unit as [string, number];
  if (name === 'second' && !future) return 'just now';
  const text = `${n} ${name}${n === 1 ? '' : 's'}`;
  return future ? `in ${text}` : `${text} ago`;
}

export function dateTime(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** A server refusal in words a reviewer acts on. */
export function conflictWords(error: OutboxConflict | undefined): string {
  if (!error) return 'The server refused this decision.';
  switch (error.code) {
    case 'already_reviewed':
      return 'You already reviewed this request — your earlier decision stands.';
    case 'stale_review':
      return 'The diff changed after you reviewed it. Read the new diff and decide again.';
    case 'not_pending':
      return `This request is no longer pending (${error.message.replace(/^request is /, '')}), so the decision was not applied.`;
    case 'not_eligible':
      return 'You are not an eligible approver for this request, so the server refused your decision.';
    case 'not_found':
      return 'This request no longer exists on the server.';
    case 'cancelled':
      return 'The request was cancelled before your decision arrived.';
    case 'other_identity':
    case 'signed_out':
      // never sent: the core says by whom and for which server it was queued
      return `Not sent: ${error.message}.`;
    default:
      return `The server refused this decision: ${error.message}`;
  }
}
