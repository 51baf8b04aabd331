// How the tables both stores share read back as domain values: one mapping for SQLite and PostgreSQL.
import type { ApiToken, AuditEvent } from '../../shared/schemas/index.ts';
import type { StoredDelivery } from './types.ts';

export interface TokenRow {
  id: string;
  name: string;
  user_id: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
}

export function tokenFromRow(r: TokenRow): ApiToken {
  return {
    id: r.id,
    name: r.name,
    userId: r.user_id,
    createdAt: r.created_at,
    ...(r.last_used_at ? { lastUsedAt: r.last_used_at } : {}),
    ...(r.expires_at ? { expiresAt: r.expires_at } : {}),
  };
}

export const TOKEN_COLUMNS = 'id, name, user_id, created_at, last_used_at, expires_at';

export interface AuditRow {
  seq: number;
  at: string;
  actor_id: string;
  type: string;
  subject: string;
  details: string;
  breakglass_session_id: string | null;
  prev_hash: string;
  hash: string;
}

export function auditFromRow(r: AuditRow): AuditEvent {
  return {
    seq: r.seq,
    at: r.at,
    actorId: r.actor_id,
    type: r.type,
    subject: r.subject,
    details: JSON.parse(r.details) as Record<string, unknown>,
    ...(r.breakglass_session_id ? { breakGlassSessionId: r.breakglass_session_id } : {}),
    breakGlass: r.breakglass_session_id !== null,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

export interface DeliveryRow {
  id: string;
  channel_id: string;
  event: string;
  subject: string | null;
  recipient: string | null;
  body: string;
  status: StoredDelivery['status'];
  attempts: number;
  last_error: string | null;
  created_at: string;
  window_start: string;
  next_at: string | null;
  delivered_at: string | null;
}

export function deliveryFromRow(r: DeliveryRow): StoredDelivery {
  return {
    id: r.id,
    channelId: r.channel_id,
    event: r.event,
    ...(r.subject !== null ? { subject: r.subject } : {}),
    ...(r.recipient !== null ? { to: r.recipient } : {}),
    status: r.status,
    attempts: r.attempts,
    ...(r.last_error !== null ? { lastError: r.last_error } : {}),
    createdAt: r.created_at,
    ...(r.next_at !== null && r.status === 'pending' ? { nextAttemptAt: r.next_at } : {}),
    ...(r.delivered_at !== null ? { deliveredAt: r.delivered_at } : {}),
    body: r.body,
    windowStart: r.window_start,
  };
}
