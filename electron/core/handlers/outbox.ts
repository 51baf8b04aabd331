// outbox.*: queueing a decision durably (sent at once if the server is reachable), the queue and
// its conflicts, dismissing a conflict.
import type { Handlers, Payload } from '../../../shared/ipc.ts';
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
  /** Told about the user's own freezes, so their sync echo raises no notification. */
  notifier: Pick<Notifier, 'noteOwnAction'>;
}

export function outboxHandlers({ outbox, connection, notifier }: OutboxDeps): Pick<Handlers, 'outbox.enqueue' | 'outbox.list' | 'outbox.dismiss'> {
  return {
    'outbox.enqueue': async (op) => {
      // Queued for the signed-in user and this server only: sent under no other identity.
      const entry = await outbox.enqueue(op, connection.owner());
      if (op.type === 'freeze' || op.type === 'unfreeze') notifier.noteOwnAction({ kind: 'environment', id: op.environmentId });
      connection.drainOutbox();
      return entry;
    },
    'outbox.list': async () => outboxSummary(outbox),
    'outbox.dismiss': async ({ id }) => {
      if (!(await outbox.dismiss(id))) throw new CoreError('not_found', 'no conflict with that id (only conflicts can be dismissed)', 404);
      return outboxSummary(outbox);
    },
  };
}
