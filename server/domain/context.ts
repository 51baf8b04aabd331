import type { Clock } from '../../shared/clock.ts';
import type { User } from '../../shared/schemas/index.ts';
import type { NewAuditEvent, Store, StoreTx } from '../store/types.ts';

/** What every service needs: the store, a clock (tests move it), and the server's settings. */
export interface ServiceContext {
  store: Store;
  now: Clock;
  /** How long a request stays pending before it expires. */
  requestTtlMs: number;
}

export const DEFAULT_REQUEST_TTL_MS = 7 * 24 * 3600 * 1000;

export function audit(
  tx: StoreTx,
  at: Date,
  actor: User | 'system',
  type: string,
  subject: string,
  details: Record<string, unknown>,
  breakGlassSessionId?: string,
) {
  const event: NewAuditEvent = {
    at: at.toISOString(),
    actorId: actor === 'system' ? 'system' : actor.id,
    type,
    subject,
    // Round-trip through JSON so what is hashed is exactly what is stored and read back.
    details: JSON.parse(JSON.stringify(details)) as Record<string, unknown>,
    ...(breakGlassSessionId ? { breakGlassSessionId } : {}),
  };
  return tx.appendAudit(event);
}
