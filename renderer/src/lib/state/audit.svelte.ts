// The audit log (online only: it lives on the server): the events loaded page by page, newest
// first, filtered by type / actor / text here; the hash chain's verify status; export to a file.
import { createSubscriber } from 'svelte/reactivity';
import { ACTIONS, type Action, type AuditEvent, type Resource } from '../../../../shared/schemas/index.ts';
import type { Output } from '../../../../shared/ipc.ts';
import { ApiError, call, errorMessage, on } from '../api.ts';
import { directory } from './directory.svelte.ts';
import { ACTION_LABELS, dateTime } from '../format.ts';

export type Verify = { state: 'idle' } | { state: 'checking' } | { state: 'done'; result: Output<'audit.verify'> } | { state: 'failed'; message: string };
export type Load = { state: 'loading' } | { state: 'ready' } | { state: 'unavailable'; offline: boolean; message: string };

export interface AuditFilters {
  type: string;
  actor: string;
  text: string;
  breakGlassOnly: boolean;
}

/** Event types in words; an unknown one is spelled out from its name ("request.effect_skipped" → "Request effect skipped"). */
const EVENT_LABELS: Record<string, string> = {
  'request.created': 'Request created',
  'request.approval': 'Approval given',
  'request.rejection': 'Rejection given',
  'request.approved': 'Request approved',
  'request.rejected': 'Request rejected',
  'request.cancelled': 'Request cancelled',
  'request.expired': 'Request expired',
  'request.refused': 'Action refused',
  'request.nudged': 'Reviewers nudged',
  'request.effect_skipped': 'Approved change not applied',
  'request.escalated': 'Request escalated',
  'environment.created': 'Environment created',
  'environment.updated': 'Environment updated',
  'environment.frozen': 'Environment frozen',
  'environment.unfrozen': 'Environment unfrozen',
  'breakglass.started': 'Break-glass session started',
  'breakglass.revoked': 'Break-glass session ended',
  'breakglass.expired': 'Break-glass session expired',
  'breakglass.reviewed': 'Break-glass session reviewed',
  'policy.created': 'Policy created',
  'policy.updated': 'Policy updated',
  'policy.deleted': 'Policy deleted',
  'binding.created': 'Policy bound',
  'binding.deleted': 'Policy unbound',
  'token.issued': 'API token issued',
  'token.revoked': 'API token revoked',
  'user.created': 'User added',
  'user.updated': 'User updated',
  'user.deactivated': 'User deactivated',
  'user.reactivated': 'User reactivated',
  'team.created': 'Team created',
  'project.created': 'Project created',
  'cluster.created': 'Cluster created',
  'channel.created': 'Notification channel added',
  'channel.updated': 'Notification channel changed',
  'channel.deleted': 'Notification channel removed',
  'settings.updated': 'Organisation settings changed',
  'github.link.created': 'GitHub repository linked',
  'github.link.deleted': 'GitHub repository unlinked',
  'github.verdict.delivered': 'Verdict told to GitHub',
  'github.verdict.failed': 'Verdict not taken by GitHub',
};

export function eventLabel(type: string): string {
  const known = EVENT_LABELS[type];
  if (known) return known;
  const words = type.replace(/[._]/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The detail fields in the order and words a reader wants; others follow, spelled out. */
const FIELD_LABELS: Record<string, string> = {
  reason: 'Reason',
  verdict: 'Verdict',
  notes: 'Notes',
  holderId: 'Session of',
  comment: 'Comment',
  justification: 'Justification',
  message: 'Message',
  name: 'Name',
  action: 'Action',
  resource: 'Resource',
  summary: 'Progress',
  scope: 'Scope',
  durationMinutes: 'Duration',
  durationSeconds: 'Lasted',
  until: 'Until',
  expiresAt: 'Until',
  previousProtection: 'Protection before',
  reviewedDigest: 'Diff reviewed',
  userIds: 'People',
  requestId: 'Request',
  status: 'Status',
  code: 'Code',
};
/** Machinery that says nothing to a reader of the log (the verify command reads it from the export). */
const HIDDEN_FIELDS = new Set(['details', 'environment', 'policy', 'binding', 'user', 'token', 'bypassed', 'gates', 'evaluation']);

export interface DetailField {
  label: string;
  value: string;
}

function isAction(v: unknown): v is Action {
  return typeof v === 'string' && (ACTIONS as readonly string[]).includes(v);
}

function minutesWords(m: number): string {
  const h = Math.floor(m / 60);
  const r = Math.round(m % 60);
  return h === 0 ? `${r} min` : r === 0 ? `${h} h` : `${h} h ${r} min`;
}

function valueWords(key: string, v: unknown): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (key === 'reviewedDigest') return 'yes';
  if (key === 'durationMinutes' && typeof v === 'number') return minutesWords(v);
  if (key === 'durationSeconds' && typeof v === 'number') return minutesWords(Math.max(1, v / 60));
  if (key === 'resource' && typeof v === 'object') return directory.resource(v as Resource);
  if (key === 'scope' && typeof v === 'object') {
    const sc = v as { actions?: unknown[]; environmentIds?: string[] };
    const actions = (sc.actions ?? []).map((a) => (isAction(a) ? ACTION_LABELS[a] : String(a))).join(', ');
    const envs = sc.environmentIds?.length ? sc.environmentIds.map((id) => directory.resource({ environmentId: id })).join(', ') : 'all environments';
    return `${actions} · ${envs}`;
  }
  if (isAction(v)) return ACTION_LABELS[v];
  if (typeof v === 'string' && /^\d{4}-\d\d-\d\dT/.test(v) && !Number.isNaN(Date.parse(v))) return dateTime(v);
  if (typeof v === 'string') return /^[a-z]+_[A-Za-z0-9]+$/.test(v) ? subjectWords(v) : v;
  if (typeof v === 'number' || typeof v === 'boolean') return v === true ? 'yes' : v === false ? 'no' : String(v);
  if (Array.isArray(v))
    return (
      v
        .map((x) => valueWords(key, x) ?? '')
        .filter(Boolean)
        .join(', ') || undefined
    );
  if (typeof v === 'object' && 'name' in v && typeof v.name === 'string') return v.name;
  return undefined;
}

/** An id in words: an environment as "project / env", anything the directory knows by name. */
export function subjectWords(id: string): string {
  if (directory.environment(id)) return directory.resource({ environmentId: id });
  return directory.name(id) || id;
}

/** The details as labelled fields (reason, comment… first), ids as names, times as dates. */
export function detailFields(details: Record<string, unknown>, subject = ''): DetailField[] {
  // A request's title (the subject column) already says its action and resource.
  const said = subject.startsWith('req_') ? new Set(['action', 'resource']) : new Set<string>();
  const known = Object.keys(FIELD_LABELS).filter((k) => k in details && !said.has(k));
  const rest = Object.keys(details).filter((k) => !(k in FIELD_LABELS) && !HIDDEN_FIELDS.has(k));
  const out: DetailField[] = [];
  for (const key of [...known, ...rest]) {
    const value = valueWords(key, details[key]);
    if (value === undefined) continue;
    const label = FIELD_LABELS[key] ?? key.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/^./, (c) => c.toUpperCase());
    out.push({ label: key === 'until' && details.expiresAt !== undefined ? 'Freeze until' : label, value });
  }
  return out;
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

  /** Request ids to titles ("Deploy checkout / production"), from the events that name their action and resource. */
  #titles = $derived.by(() => {
    const titles = new Map<string, string>();
    for (const e of this.#events) {
      if (titles.has(e.subject) || !e.subject.startsWith('req_')) continue;
      const { action, resource } = e.details as { action?: unknown; resource?: unknown };
      if (isAction(action) && resource && typeof resource === 'object')
        titles.set(e.subject, `${ACTION_LABELS[action]} ${directory.resource(resource as Resource)}`);
    }
    return titles;
  });

  /** Each event's searchable text: what the row shows in words, and the raw names and ids too. Built once per load, not per keystroke. */
  #haystacks = $derived.by(
    () =>
      new Map(
        this.#events.map((e) => [
          e.seq,
          `${e.type} ${eventLabel(e.type)} ${e.subject} ${this.subject(e.subject)} ${directory.name(e.actorId)} ${detailFields(e.details)
            .map((d) => `${d.label} ${d.value}`)
            .join(' ')} ${JSON.stringify(e.details)}`.toLowerCase(),
        ]),
      ),
  );

  #filtered = $derived.by(() => {
    const f = this.#filters;
    const text = f.text.trim().toLowerCase();
    const haystacks = text === '' ? undefined : this.#haystacks;
    return this.#events.filter(
      (e) =>
        (f.type === '' || e.type === f.type) &&
        (f.actor === '' || e.actorId === f.actor) &&
        (!f.breakGlassOnly || e.breakGlass) &&
        (haystacks === undefined || (haystacks.get(e.seq) ?? '').includes(text)),
    );
  });

  /** A subject in words: a request by its title, an environment as "project / env", others by name. */
  subject(id: string): string {
    if (id.startsWith('req_')) return this.#titles.get(id) ?? 'a request';
    if (id.startsWith('bg_')) return 'break-glass session';
    return subjectWords(id);
  }

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

  /** Is any filter on (so an export is of the filtered rows)? */
  get filtering(): boolean {
    const f = this.#filters;
    return f.type !== '' || f.actor !== '' || f.text.trim() !== '' || f.breakGlassOnly;
  }

  /**
   * Downloads the log as CSV or JSONL through a Blob link: with a filter on, exactly the rows on
   * screen; without, the whole log with its signed checkpoint, as `gatehouse audit verify` reads it.
   */
  async export(format: 'csv' | 'jsonl'): Promise<string> {
    const file = await call('audit.export', this.filtering ? { format, seqs: this.filtered.map((e) => e.seq) } : { format });
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
