// One request's detail: the view from `request.get` (gates, who can still approve, queued
// decisions), its diff, and the decision actions. One instance per open request.
import { createSubscriber } from 'svelte/reactivity';
import type { Output } from '../../../../shared/ipc.ts';
import type { AuditEvent, DecisionReview } from '../../../../shared/schemas/index.ts';
import type { OutboxOp } from '../../../../shared/desktop/outbox.ts';
import { ApiError, call, errorMessage, on } from '../api.ts';
import { held as heldDecisions } from './held.svelte.ts';

export type RequestView = Output<'request.get'>;
export type DiffState = { state: 'loading' } | { state: 'ready'; text: string } | { state: 'unavailable'; offline: boolean; message: string };

export class RequestDetailState {
  readonly id: string;
  #view = $state.raw<RequestView | undefined>(undefined);
  #error = $state<{ code: string; message: string } | undefined>(undefined);
  #diff = $state.raw<DiffState>({ state: 'loading' });
  #busy = $state(false);
  #diffDigest: string | undefined;
  /** The request's own audit events (online); undefined offline or before they arrive. */
  #history = $state.raw<AuditEvent[] | undefined>(undefined);
  #historyAt: string | undefined;

  #subscribe = createSubscriber(() => {
    void this.refresh();
    const offs = [
      on('cache.changed', (c) => {
        if (c.entities.includes('request') || c.entities.includes('user')) void this.refresh();
      }),
      on('outbox.changed', () => void this.refresh()),
      on('connection.status', (s) => {
        if (s.state === 'online' && this.#diff.state === 'unavailable') void this.#loadDiff();
      }),
    ];
    return () => {
      for (const off of offs) off();
    };
  });

  constructor(id: string) {
    this.id = id;
  }

  get view(): RequestView | undefined {
    this.#subscribe();
    return this.#view;
  }
  get error(): { code: string; message: string } | undefined {
    this.#subscribe();
    return this.#error;
  }
  get diff(): DiffState {
    this.#subscribe();
    return this.#diff;
  }
  get busy(): boolean {
    return this.#busy;
  }
  get history(): AuditEvent[] | undefined {
    this.#subscribe();
    return this.#history;
  }

  async refresh(): Promise<void> {
    try {
      const view = await call('request.get', { id: this.id });
      this.#view = view;
      this.#error = undefined;
      // A new digest means a new diff: fetch it again.
      if (view.request.digest !== this.#diffDigest) void this.#loadDiff();
      if (view.request.updatedAt !== this.#historyAt) void this.#loadHistory(view.request.updatedAt);
    } catch (err) {
      this.#error = err instanceof ApiError ? { code: err.code, message: err.message } : { code: 'internal', message: errorMessage(err) };
    }
  }

  /** The server's record of this request; offline the timeline is rebuilt from the request itself. */
  async #loadHistory(updatedAt: string): Promise<void> {
    this.#historyAt = updatedAt;
    try {
      this.#history = (await call('request.history', { id: this.id })).events;
    } catch {
      this.#historyAt = undefined;
    }
  }

  async #loadDiff(): Promise<void> {
    const digest = this.#view?.request.digest;
    this.#diffDigest = digest;
    if (this.#diff.state !== 'ready') this.#diff = { state: 'loading' };
    try {
      const { text } = await call('request.diff', { id: this.id });
      this.#diff = { state: 'ready', text };
    } catch (err) {
      const offline = err instanceof ApiError && (err.code === 'offline' || err.code === 'disconnected');
      this.#diffDigest = undefined;
      this.#diff = { state: 'unavailable', offline, message: errorMessage(err) };
    }
  }

  /**
   * Queues the decision durably. An approval always says what was seen of the diff (`review`) and
   * claims `reviewedDigest` (this exact diff was reviewed) only if the diff was shown, or if there
   * is no diff and so the page showed everything. A rejection needs its comment. `held`: the undo
   * toast's words; the decision then waits out the undo window (keyboard decisions), otherwise it
   * is sent at once (a deliberate click).
   */
  async decide(kind: 'approve' | 'reject', comment: string, review: DecisionReview, held?: string): Promise<void> {
    const view = this.#view;
    if (!view) return;
    const text = comment.trim();
    if (kind === 'reject' && !text) throw new Error('A comment is required to reject.');
    const r = view.request;
    const noDiff = r.payload.diffLines === 0 && r.payload.diffBytes === 0;
    const op: OutboxOp =
      kind === 'approve'
        ? {
            type: 'approve',
            requestId: this.id,
            review,
            ...(review.diffShown || noDiff ? { reviewedDigest: r.digest } : {}),
            ...(text ? { comment: text } : {}),
          }
        : { type: 'reject', requestId: this.id, comment: text };
    this.#busy = true;
    try {
      if (held !== undefined) await heldDecisions.hold([op], held);
      else await call('outbox.enqueue', op);
      await this.refresh();
    } finally {
      this.#busy = false;
    }
  }
}
