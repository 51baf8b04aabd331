// When a request's next escalation, first reminder and expiry warning fall due: kept in columns
// of the requests table so the sweepers find what is due with an index range instead of reading
// every pending request.
import type { ApprovalRequest, Gate } from '../../shared/schemas/index.ts';

/** Epoch ms at which this gate's escalation falls due; null without one or once it has fired. */
export function gateEscalationDueMs(gate: Gate, createdAt: string): number | null {
  if (!gate.escalation || gate.escalatedAt !== undefined) return null;
  return Date.parse(createdAt) + gate.escalation.afterMinutes * 60_000;
}

/** The earliest due time of the request's escalations that have not fired, as an ISO instant; null when none is left. */
export function escalationDueAt(request: Pick<ApprovalRequest, 'gates' | 'createdAt'>): string | null {
  let due: number | null = null;
  for (const g of request.gates) {
    const t = gateEscalationDueMs(g, request.createdAt);
    if (t !== null && (due === null || t < due)) due = t;
  }
  return due === null ? null : new Date(due).toISOString();
}

const DAY_MS = 86_400_000;

/** A new request's first reminder (`reminderMinutes` after filing) and its expiry warning (a day before; none for requests that live a day or less). */
export function firstReminderTimes(
  request: Pick<ApprovalRequest, 'createdAt' | 'expiresAt'>,
  reminderMinutes: number,
): { remindAt: string; expiringAt: string | null } {
  const created = Date.parse(request.createdAt);
  const warn = Date.parse(request.expiresAt) - DAY_MS;
  return { remindAt: new Date(created + reminderMinutes * 60_000).toISOString(), expiringAt: warn > created ? new Date(warn).toISOString() : null };
}
