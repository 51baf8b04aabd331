// The approvals inbox: filters, the rows loaded page by page (the list is virtualized, so only the
// pages in view are fetched — 10k requests stay fast), the keyboard cursor and the bulk selection.
import { createSubscriber } from 'svelte/reactivity';
import type { InboxMine, Input, Output } from '../../../../shared/ipc.ts';
import type { ActionGroup } from '../../../../shared/inbox.ts';
import type { RequestStatus } from '../../../../shared/schemas/index.ts';
import { call, errorMessage, on } from '../api.ts';
import { held } from './held.svelte.ts';

export type InboxRow = Output<'inbox.query'>['rows'][number];
type Counts = Output<'inbox.query'>['counts'];

export interface InboxFilters {
  status: RequestStatus | undefined;
  group: ActionGroup | undefined;
  environmentId: string | undefined;
  projectId: string | undefined;
  text: string;
  mine: InboxMine | undefined;
}

/**
 * Rows per inbox query. 50 fill a tall window with the overscan (so the first screen is one
 * query), and each row costs the core its standing (progress, can I approve) and the console its
 * JSON: 100 a page made the first paint's answer twice as large for rows nobody sees yet.
 */
export const PAGE_SIZE = 50;
/** What an approval from the list has seen of the diff: nothing (it is not shown there). */
const UNSEEN = { diffShown: false, filesViewed: 0, filesTotal: 0 } as const;
const EMPTY_COUNTS: Counts = { byStatus: {}, byGroup: {}, byEnvironment: {}, byProject: {}, byMine: { waiting: 0, reviewed: 0, requested: 0 } };

export class InboxState {
  #filters = $state.raw<InboxFilters>({ status: 'pending', group: undefined, environmentId: undefined, projectId: undefined, text: '', mine: undefined });
  /** Loaded pages by page number; replaced wholesale on every load. */
  #pages = $state.raw<ReadonlyMap<number, InboxRow[]>>(new Map());
  #total = $state(0);
  #counts = $state.raw<Counts>(EMPTY_COUNTS);
  #loaded = $state(false);
  #error = $state<string | undefined>(undefined);
  #cursor = $state(0);
  #checked = $state.raw<ReadonlyMap<string, InboxRow>>(new Map());

  /** Bumped on every filter change: answers to older queries are dropped. */
  #generation = 0;
  #inflight = new Set<number>();
  #wanted: [number, number] = [0, PAGE_SIZE];
  #refreshTimer: ReturnType<typeof setTimeout> | undefined;

  #subscribe = createSubscriber(() => {
    void this.#load(0);
    const offs = [
      on('cache.changed', (c) => {
        if (c.entities.includes('request') || c.entities.includes('user')) this.#scheduleRefresh();
      }),
      on('outbox.changed', () => this.#scheduleRefresh()),
      on('connection.status', (s) => {
        if (s.state === 'online') this.#scheduleRefresh();
      }),
    ];
    return () => {
      for (const off of offs) off();
    };
  });

  get filters(): InboxFilters {
    return this.#filters;
  }
  get total(): number {
    this.#subscribe();
    return this.#total;
  }
  get counts(): Counts {
    this.#subscribe();
    return this.#counts;
  }
  get loaded(): boolean {
    this.#subscribe();
    return this.#loaded;
  }
  get error(): string | undefined {
    return this.#error;
  }
  get cursor(): number {
    return this.#cursor;
  }
  get checked(): ReadonlyMap<string, InboxRow> {
    return this.#checked;
  }

  /** The row at an index, or undefined while its page loads. */
  row(index: number): InboxRow | undefined {
    this.#subscribe();
    return this.#pages.get(Math.floor(index / PAGE_SIZE))?.[index % PAGE_SIZE];
  }
  get current(): InboxRow | undefined {
    return this.row(this.#cursor);
  }

  setFilter<K extends keyof InboxFilters>(key: K, value: InboxFilters[K]): void {
    if (this.#filters[key] === value) return;
    this.#filters = { ...this.#filters, [key]: value };
    this.#cursor = 0;
    this.#reset();
  }

  /**
   * One of the "my work" filters (or none). What I reviewed or requested has often been decided
   * since, so those show every status; what waits on me is pending by definition.
   */
  setMine(mine: InboxMine | undefined): void {
    if (this.#filters.mine === mine) return;
    const status = mine === undefined ? this.#filters.status : mine === 'waiting' ? 'pending' : undefined;
    this.#filters = { ...this.#filters, mine, status };
    this.#cursor = 0;
    this.#reset();
  }

  clearFilters(): void {
    this.#filters = { status: 'pending', group: undefined, environmentId: undefined, projectId: undefined, text: '', mine: undefined };
    this.#cursor = 0;
    this.#reset();
  }

  /** The list asks for the rows it shows (plus overscan); missing pages are fetched. */
  want(from: number, to: number): void {
    this.#wanted = [from, to];
    const first = Math.floor(Math.max(0, from) / PAGE_SIZE);
    const last = Math.floor(Math.max(0, to - 1) / PAGE_SIZE);
    for (let p = first; p <= last; p++) {
      if (!this.#pages.has(p) && (p === 0 || p * PAGE_SIZE < this.#total)) void this.#load(p);
    }
  }

  moveCursor(delta: number): void {
    const max = Math.max(0, this.#total - 1);
    this.#cursor = Math.min(max, Math.max(0, this.#cursor + delta));
  }
  setCursor(index: number): void {
    this.#cursor = Math.min(Math.max(0, this.#total - 1), Math.max(0, index));
  }

  toggleChecked(row: InboxRow): void {
    const next = new Map(this.#checked);
    if (next.has(row.request.id)) next.delete(row.request.id);
    else next.set(row.request.id, row);
    this.#checked = next;
  }
  clearChecked(): void {
    this.#checked = new Map();
  }

  /** The one revision every checked request shares, or why bulk approve is not possible. */
  get bulk(): { ok: true; revision: string; rows: InboxRow[] } | { ok: false; why: string } {
    const rows = [...this.#checked.values()];
    if (rows.length === 0) return { ok: false, why: 'Select requests with x' };
    const revisions = new Set(rows.map((r) => r.request.payload.revision ?? ''));
    const [revision] = revisions;
    if (revisions.size !== 1 || !revision) return { ok: false, why: 'Bulk approve takes requests for one revision' };
    if (rows.some((r) => r.request.status !== 'pending')) return { ok: false, why: 'Only pending requests can be approved' };
    if (rows.some((r) => !r.canApprove)) return { ok: false, why: 'You can’t approve every selected request' };
    return { ok: true, revision, rows };
  }

  /**
   * Queues an approval (or a rejection, with its required comment) for one row, held for the undo
   * window (`text` names it in the undo toast). The row's diff was not shown here: the approval
   * says so (review.diffShown false) and claims no reviewedDigest.
   */
  async decide(row: InboxRow, kind: 'approve' | 'reject', text: string, comment?: string): Promise<void> {
    const requestId = row.request.id;
    if (kind === 'approve') await held.hold([{ type: 'approve', requestId, review: UNSEEN }], text);
    else {
      const why = comment?.trim() ?? '';
      if (!why) throw new Error('A comment is required to reject.');
      await held.hold([{ type: 'reject', requestId, comment: why }], text);
    }
  }

  /** Approves every checked row, as one held group (one Undo takes them all back). */
  async approveChecked(text: (n: number) => string): Promise<number> {
    const bulk = this.bulk;
    if (!bulk.ok) throw new Error(bulk.why);
    await held.hold(
      bulk.rows.map((row) => ({ type: 'approve' as const, requestId: row.request.id, review: UNSEEN })),
      text(bulk.rows.length),
    );
    this.clearChecked();
    return bulk.rows.length;
  }

  #reset(): void {
    this.#generation++;
    this.#inflight.clear();
    void this.#load(0, true);
  }

  #scheduleRefresh(): void {
    clearTimeout(this.#refreshTimer);
    this.#refreshTimer = setTimeout(() => void this.#refreshVisible(), 120);
  }

  /** Reloads the pages in view; pages out of view are dropped so they reload when scrolled to. */
  async #refreshVisible(): Promise<void> {
    const [from, to] = this.#wanted;
    const first = Math.floor(Math.max(0, from) / PAGE_SIZE);
    const last = Math.max(first, Math.floor(Math.max(0, to - 1) / PAGE_SIZE));
    const generation = this.#generation;
    const pages = new Map<number, InboxRow[]>();
    try {
      for (let p = first; p <= last; p++) {
        const result = await call('inbox.query', this.#query(p));
        if (generation !== this.#generation) return;
        pages.set(p, result.rows);
        this.#total = result.total;
        this.#counts = result.counts;
        if (result.rows.length < PAGE_SIZE) break;
      }
      this.#pages = pages;
      this.#reconcileChecked();
      this.#cursor = Math.min(this.#cursor, Math.max(0, this.#total - 1));
    } catch (err) {
      this.#error = errorMessage(err);
    }
  }

  #query(page: number): Input<'inbox.query'> {
    const f = this.#filters;
    return {
      ...(f.status ? { status: f.status } : {}),
      ...(f.group ? { group: f.group } : {}),
      ...(f.environmentId ? { environmentId: f.environmentId } : {}),
      ...(f.projectId ? { projectId: f.projectId } : {}),
      ...(f.mine ? { mine: f.mine } : {}),
      ...(f.text.trim() ? { text: f.text.trim().slice(0, 200) } : {}),
      limit: PAGE_SIZE,
      offset: page * PAGE_SIZE,
    };
  }

  async #load(page: number, replace = false): Promise<void> {
    if (this.#inflight.has(page)) return;
    this.#inflight.add(page);
    const generation = this.#generation;
    try {
      const result = await call('inbox.query', this.#query(page));
      if (generation !== this.#generation) return;
      const pages = new Map(replace ? [] : this.#pages);
      pages.set(page, result.rows);
      this.#pages = pages;
      this.#total = result.total;
      this.#counts = result.counts;
      this.#loaded = true;
      this.#error = undefined;
      if (replace) this.#reconcileChecked();
    } catch (err) {
      if (generation === this.#generation) this.#error = errorMessage(err);
    } finally {
      if (generation === this.#generation) this.#inflight.delete(page);
    }
  }

  /** Keeps the checked rows' data fresh (queued flags, status) where their page is loaded. */
  #reconcileChecked(): void {
    if (this.#checked.size === 0) return;
    const fresh = new Map<string, InboxRow>();
    for (const rows of this.#pages.values()) for (const r of rows) if (this.#checked.has(r.request.id)) fresh.set(r.request.id, r);
    const next = new Map<string, InboxRow>();
    for (const [id, r] of this.#checked) next.set(id, fresh.get(id) ?? r);
    this.#checked = next;
  }
}

export const inbox = new InboxState();
