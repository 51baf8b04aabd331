// outbox.*: queueing a decision durably (sent at once if the server is reachable, or once its undo
// window ends), the queue and its conflicts, undoing a held decision, dismissing a conflict.
import type { Handlers, Payload } from '../../../shared/ipc.ts';
import type { OutboxOp } from '../../../shared/desktop/outbox.ts';
import type { Connection } from '../connection/index.ts';
import { CoreError } from '../ipc/dispatch.ts';
import type { Notifier } from '../notify/index.ts';
import type { Outbox } from '../outbox/index.ts';

/** What outbox.list answers and outbox.changed carries. */
export function outboxSummary(outbox: Outbox): Payload<'outbox.changed'> {
  const entries = outbox.list();
  return { queued: entries.filter((e) => e.state !== 'conflict').length, conflicts: entries.filter((e) => e.state === 'conflict').length, entries };
}

export interface OutboxDeps {
  outbox: Outbox;
  connection: Connection;
  /** Told about the user's own freezes and cancels, so their sync echo raises no notification. */
  notifier: Pick<Notifier, 'noteOwnAction'>;
}

const UNDO_REFUSALS = {
  unknown: ['not_found', 'that decision is not in the outbox any more: it was already sent (or never queued), so it can no longer be undone', 404],
  not_held: ['not_held', 'that decision was queued without an undo window: it cannot be undone', 409],
  sending: ['too_late', 'that decision is being sent right now: too late to undo it', 409],
  conflict: ['too_late', 'the server already answered that decision: too late to undo it', 409],
} as const;

export function outboxHandlers({
  outbox,
  connection,
  notifier,
}: OutboxDeps): Pick<Handlers, 'outbox.enqueue' | 'outbox.enqueueHeld' | 'outbox.undo' | 'outbox.list' | 'outbox.dismiss'> {
  // A held decision is sent when its window ends, not only when something else triggers a drain.
  outbox.onHoldEnd(() => connection.drainOutbox());
  const queue = async (op: OutboxOp, holdMs?: number) => {
    // Queued for the signed-in user and this server only: sent under no other identity.
    const entry = await outbox.enqueue(op, connection.owner(), holdMs === undefined ? {} : { holdMs });
    if (op.type === 'freeze' || op.type === 'unfreeze') notifier.noteOwnAction({ kind: 'environment', id: op.environmentId });
    if (op.type === 'cancel') notifier.noteOwnAction({ kind: 'request', id: op.requestId });
    connection.drainOutbox();
    return entry;
  };
  return {
    'outbox.enqueue': (op) => queue(op),
    'outbox.enqueueHeld': ({ op, holdSeconds }) => queue(op, holdSeconds * 1000),
    'outbox.undo': async ({ id }) => {
      const result = await outbox.undo(id);
      if (result !== 'undone') {
        const [code, message, status] = UNDO_REFUSALS[result];
        throw new CoreError(code, message, status);
      }
      return outboxSummary(outbox);
    },
    'outbox.list': async () => outboxSummary(outbox),
    'outbox.dismiss': async ({ id }) => {
      if (!(await outbox.dismiss(id))) throw new CoreError('not_found', 'no conflict with that id (only conflicts can be dismissed)', 404);
      return outboxSummary(outbox);
    },
  };
}
