// The audit log (online only: it lives on the server): the events loaded page by page, newest
// first, filtered by type / actor / text here; the hash chain's verify status; export to a file.
import { createSubscriber } from 'svelte/reactivity';
import type { AuditEvent } from '../../../../shared/schemas/index.ts';
import type { Output } from '../../../../shared/ipc.ts';
import { ApiError, call, errorMessage, on } from '../api.ts';
import { directory } from './directory.svelte.ts';

export type Verify = { state: 'idle' } | { state: 'checking' } | { state: 'done'; result: Output<'audit.verify'> } | { state: 'failed'; message: string };
export type Load = { state: 'loading' } | { state: 'ready' } | { state: 'unavailable'; offline: boolean; message: string };

export interface AuditFilters {
  type: string;
  actor: string;
  text: string;
  breakGlassOnly: boolean;
}

/** Pages of 1000 from the server; past this many events the oldest are not loaded (newest first). */
const PAGE = 1000;
const MAX_EVENTS = 50_000;

function offlineError(err: unknown): boolean {
  return err instanceof ApiError && (err.code === 'offline' || err.code === 'disconnected' || err.code === 'signed_out');
}

export class AuditState {
  #events = $state.raw<AuditEvent[]>([]);
  #load = $state.raw<Load>({ state: 'loading' });
  #verify = $state.raw<Verify>({ state: 'idle' });
  #filters = $state.raw<AuditFilters>({ type: '', actor: '', text: '', breakGlassOnly: false });
  #truncated = $state(false);
  #loading = false;

  #filtered = $derived.by(() => {
    const f = this.#filters;
    const text = f.text.trim().toLowerCase();
    return this.#events.filter(
      (e) =>
        (f.type === '' || e.type === f.type) &&
        (f.actor === '' || e.actorId === f.actor) &&
        (!f.breakGlassOnly || e.breakGlass) &&
        (text === '' ||
          `${e.type} ${e.subject} ${directory.name(e.actorId)} ${directory.name(e.subject)} ${JSON.stringify(e.details)}`.toLowerCase().includes(text)),
    );
  });

  #subscribe = createSubscriber(() => {
    void this.refresh();
    return on('connection.status', (s) => {
      // Back online after an offline view: load what we could not.
      if (s.state === 'online' && this.#load.state === 'unavailable') void this.refresh();
    });
  });

  get events(): AuditEvent[] {
    this.#subscribe();
    return this.#events;
  }
  get filtered(): AuditEvent[] {
    this.#subscribe();
    return this.#filtered;
  }
  get load(): Load {
    this.#subscribe();
    return this.#load;
  }
  get verify(): Verify {
    this.#subscribe();
    return this.#verify;
  }
  get filters(): AuditFilters {
    return this.#filters;
  }
  get truncated(): boolean {
    return this.#truncated;
  }
  /** Event types present, for the filter. */
  get types(): string[] {
    return [...new Set(this.events.map((e) => e.type))].sort();
  }
  /** Actors present, for the filter. */
  get actors(): string[] {
    return [...new Set(this.events.map((e) => e.actorId))].sort((a, b) => directory.name(a).localeCompare(directory.name(b)));
  }

  setFilter<K extends keyof AuditFilters>(key: K, value: AuditFilters[K]): void {
    this.#filters = { ...this.#filters, [key]: value };
  }

  /** Loads the newest events page by page (up to MAX_EVENTS), then verifies the chain. */
  async refresh(): Promise<void> {
    if (this.#loading) return;
    this.#loading = true;
    if (this.#events.length === 0) this.#load = { state: 'loading' };
    try {
      // Newest first from the server, so a long log shows its latest events and drops the oldest.
      const all: AuditEvent[] = [];
      let before = Number.MAX_SAFE_INTEGER;
      let more = true;
      while (more && all.length < MAX_EVENTS) {
        const res = await call('audit.page', { before, limit: PAGE });
        all.push(...res.events);
        more = res.next !== null;
        if (res.next !== null) before = res.next;
      }
      this.#truncated = more;
      this.#events = all;
      this.#load = { state: 'ready' };
      void this.check();
    } catch (err) {
      this.#load = { state: 'unavailable', offline: offlineError(err), message: errorMessage(err) };
    } finally {
      this.#loading = false;
    }
  }

  async check(): Promise<void> {
    this.#verify = { state: 'checking' };
    try {
      this.#verify = { state: 'done', result: await call('audit.verify', {}) };
    } catch (err) {
      this.#verify = { state: 'failed', message: offlineError(err) ? 'Verifying the chain needs the server.' : errorMessage(err) };
    }
  }

  /** Downloads the whole log as CSV or JSONL through a Blob link. */
  async export(format: 'csv' | 'jsonl'): Promise<string> {
    const file = await call('audit.export', { format });
    const url = URL.createObjectURL(new Blob([file.text], { type: file.mime }));
    try {
      const a = document.createElement('a');
      a.href = url;
      a.download = file.filename;
      a.rel = 'noopener';
      document.body.append(a);
      a.click();
      a.remove();
    } finally {
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    }
    return file.filename;
  }
}

export const audit = new AuditState();
