// Connection status (online / syncing / offline) and the outbox's counts, fed by the core's
// `connection.status` and `outbox.changed` events. One instance for the app.
import { createSubscriber } from 'svelte/reactivity';
import type { Output } from '../../../../shared/ipc.ts';
import type { ConnectionStatus } from '../../../../shared/desktop/status.ts';
import type { OutboxEntry } from '../../../../shared/desktop/outbox.ts';
import { call, on, onLink } from '../api.ts';

type OutboxSummary = Output<'outbox.list'>;

export class ConnectionState {
  #status = $state.raw<ConnectionStatus>({ state: 'offline' });
  #outbox = $state.raw<OutboxSummary>({ queued: 0, conflicts: 0, entries: [] });
  /** Web mode: the tab's socket to the local host is down (the host stopped). */
  #hostDown = $state(false);
  #loaded = $state(false);

  #subscribe = createSubscriber(() => {
    const offs = [
      on('connection.status', (s) => (this.#status = s)),
      on('outbox.changed', (o) => (this.#outbox = o)),
      onLink((up) => {
        this.#hostDown = !up;
        if (up) void this.refresh();
      }),
    ];
    void this.refresh();
    return () => {
      for (const off of offs) off();
    };
  });

  async refresh(): Promise<void> {
    const [status, outbox] = await Promise.all([call('status.get', {}), call('outbox.list', {})]).catch(() => [undefined, undefined] as const);
    if (status) this.#status = status;
    if (outbox) this.#outbox = outbox;
    this.#loaded = true;
  }

  get status(): ConnectionStatus {
    this.#subscribe();
    return this.#hostDown ? { state: 'offline', error: 'the Gatehouse host is not running' } : this.#status;
  }
  get loaded(): boolean {
    this.#subscribe();
    return this.#loaded;
  }
  get outbox(): OutboxSummary {
    this.#subscribe();
    return this.#outbox;
  }
  get online(): boolean {
    return this.status.state !== 'offline';
  }

  /** Queued decisions and conflicts about one request. */
  entriesFor(requestId: string): OutboxEntry[] {
    return this.outbox.entries.filter((e) => 'requestId' in e.op && e.op.requestId === requestId);
  }

  async dismiss(id: string): Promise<void> {
    this.#outbox = await call('outbox.dismiss', { id });
  }
}

export const connection = new ConnectionState();
