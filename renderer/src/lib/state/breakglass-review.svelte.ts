// One break-glass session under review: the session and every request made under it (from the
// cache, so it reads offline), the session's own audit trail (started, ended, reviewed: from the
// server, online), each request's diff on demand, and the verdict. One instance per open review.
import { createSubscriber } from 'svelte/reactivity';
import type { Output } from '../../../../shared/ipc.ts';
import type { AuditEvent, BreakGlassVerdict } from '../../../../shared/schemas/index.ts';
import { ApiError, call, errorMessage, on } from '../api.ts';
import { breakglass } from './breakglass.svelte.ts';
import type { DiffState } from './request.svelte.ts';

export type ReviewView = Output<'breakglass.get'>;
export type Trail = { state: 'loading' } | { state: 'ready'; events: AuditEvent[] } | { state: 'unavailable'; offline: boolean; message: string };

function isOffline(err: unknown): boolean {
  return err instanceof ApiError && (err.code === 'offline' || err.code === 'disconnected' || err.code === 'signed_out');
}

export class BreakGlassReviewState {
  readonly id: string;
  #view = $state.raw<ReviewView | undefined>(undefined);
  #error = $state<{ code: string; message: string } | undefined>(undefined);
  #trail = $state.raw<Trail>({ state: 'loading' });
  #diffs = $state.raw<ReadonlyMap<string, DiffState>>(new Map());
  /** The seq of the breakglass.reviewed event this console just recorded: shown highlighted. */
  #recordedSeq = $state<number | undefined>(undefined);

  #subscribe = createSubscriber(() => {
    void this.refresh();
    void this.loadTrail();
    const offs = [
      on('cache.changed', (c) => {
        if (c.entities.includes('breakglass') || c.entities.includes('request')) void this.refresh();
      }),
      on('connection.status', (s) => {
        if (s.state === 'online' && this.#trail.state === 'unavailable') void this.loadTrail();
      }),
    ];
    return () => {
      for (const off of offs) off();
    };
  });

  constructor(id: string) {
    this.id = id;
  }

  get view(): ReviewView | undefined {
    this.#subscribe();
    return this.#view;
  }
  get error(): { code: string; message: string } | undefined {
    this.#subscribe();
    return this.#error;
  }
  get trail(): Trail {
    this.#subscribe();
    return this.#trail;
  }
  get recordedSeq(): number | undefined {
    return this.#recordedSeq;
  }
  diff(requestId: string): DiffState | undefined {
    return this.#diffs.get(requestId);
  }

  async refresh(): Promise<void> {
    try {
      this.#view = await call('breakglass.get', { id: this.id });
      this.#error = undefined;
    } catch (err) {
      this.#error = err instanceof ApiError ? { code: err.code, message: err.message } : { code: 'internal', message: errorMessage(err) };
    }
  }

  /** The session's own audit events: request.history reads the log by subject, and a session's events have its id as subject. */
  async loadTrail(): Promise<void> {
    if (this.#trail.state !== 'ready') this.#trail = { state: 'loading' };
    try {
      this.#trail = { state: 'ready', events: (await call('request.history', { id: this.id })).events };
    } catch (err) {
      this.#trail = { state: 'unavailable', offline: isOffline(err), message: errorMessage(err) };
    }
  }

  async toggleDiff(requestId: string): Promise<void> {
    const set = (v: DiffState | undefined) => {
      const next = new Map(this.#diffs);
      if (v) next.set(requestId, v);
      else next.delete(requestId);
      this.#diffs = next;
    };
    if (this.#diffs.get(requestId)?.state === 'ready') return set(undefined);
    set({ state: 'loading' });
    try {
      set({ state: 'ready', text: (await call('request.diff', { id: requestId })).text });
    } catch (err) {
      set({ state: 'unavailable', offline: isOffline(err), message: errorMessage(err) });
    }
  }

  /** Records the verdict, then finds its audit event to show it highlighted. */
  async review(verdict: BreakGlassVerdict, notes: string): Promise<void> {
    await breakglass.review(this.id, verdict, notes);
    await this.refresh();
    await this.loadTrail();
    if (this.#trail.state === 'ready') this.#recordedSeq = this.#trail.events.findLast((e) => e.type === 'breakglass.reviewed')?.seq;
  }
}
