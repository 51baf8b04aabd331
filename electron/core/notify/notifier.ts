// The notifier's rules: which synced changes become OS notifications, which are coalesced, which
// are suppressed, and which are withdrawn. Fed by the sync engine with every applied /api/sync
// page; emits to an injected NotificationSink (Electron's Notification in main, a fake in tests).
//
// Decisions (documented here because main and the settings screen rely on them):
// - Break-glass sessions are ALWAYS notified, marked urgent: anyone's (the user's own too — if
//   their token were stolen, that notification is how they find out), during quiet hours, and
//   even when notifications are disabled. It is a security event; the setting is not switchable.
// - Nothing is notified while bootstrapping (the initial full sync), nor for the user's own
//   actions (their own requests, their own decisions, freezes they made, their own cancels).
// - A requester hears when their own request is decided: approved, rejected, expired, or
//   cancelled by someone else (an admin). A synced request does not say who cancelled it, so the
//   audit log is asked (`cancelledBy`); when it cannot say, nothing is shown, since nearly every
//   cancel is the requester's own.
// - A burst of new approvable requests (several within `coalesceWindowMs` of each other, or
//   several in one sync page) is ONE notification "N new requests awaiting your approval" that
//   replaces the single one shown for the first. It is withdrawn once none of its requests is
//   approvable any more; while some still are, it stays as it is (re-showing it with a smaller
//   count would alert the user again for nothing — the inbox has the live count).
// - Quiet hours and disabled categories drop notifications (they are not replayed later); the
//   tray badge (approvableCount) still counts what is waiting.
import { canApprove } from '../../../shared/policy/index.ts';
import { notificationText } from './plain-text.ts';
import { ApprovalRequest, BreakGlassSession, Cluster, Environment, Project, User } from '../../../shared/schemas/index.ts';
import type { SyncChange, SyncEntity } from '../../../shared/schemas/index.ts';
import type { NotificationSink } from '../contracts.ts';
import type { NoticeTarget } from '../../../shared/ipc.ts';
import type { NotificationSettings } from '../../../shared/desktop/settings.ts';
import { inQuietHours, minutesOfDay } from './quiet-hours.ts';
import { systemClock, type Clock } from '../../../shared/clock.ts';

/** Time and timers, injected so tests can drive them. */
export interface NotifierClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Cached lookups for names in notification texts. The sync page itself takes precedence. */
export interface NotifierDirectory {
  user(id: string): User | undefined;
  environment(id: string): Environment | undefined;
  project?(id: string): Project | undefined;
  cluster?(id: string): Cluster | undefined;
}

/** The state of an entity before the page being observed was applied; undefined if not cached. */
export type PreviousState = (entity: SyncEntity, id: string) => unknown;

export interface NotifierOptions {
  sink: NotificationSink;
  /** The signed-in user as cached (undefined before sign-in). A newer copy in a page wins. */
  me: () => User | undefined;
  directory: NotifierDirectory;
  /** The current notification settings (read at every event, so updates apply at once). */
  settings: () => NotificationSettings;
  clock?: NotifierClock;
  /** IANA zone for quiet hours and times in texts; the system's local zone when omitted. */
  timeZone?: string;
  /** Who cancelled a request (the actor of its `request.cancelled` audit event); undefined when unknown. */
  cancelledBy?: (requestId: string) => Promise<string | undefined>;
}

export interface ObserveOptions {
  /** The initial full sync (or a rebuild of the cache): nothing is notified. */
  bootstrapping?: boolean;
}

/** Timers are the machine's; "now" is the injected clock's. */
export function notifierClock(now: Clock = systemClock): NotifierClock {
  return { ...timers, now: () => now().getTime() };
}

const timers: Omit<NotifierClock, 'now'> = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** Targets remembered for clicks on notifications already closed or replaced. */
const MAX_TARGETS = 500;
/** A freeze or unfreeze the user just did themselves (noteOwnAction) is not notified for this long. */
const OWN_ACTION_MS = 60_000;
/** setTimeout's ceiling (about 24.8 days). */
const MAX_DELAY = 2 ** 31 - 1;
/** Requests listed by name in a burst's body. */
const BURST_LISTED = 3;

/** Requests waiting for `me`'s decision (the tray badge): pending, approvable, not past expiry. */
export function approvableCount(requests: Iterable<ApprovalRequest>, me: User, now: Date): number {
  const t = now.getTime();
  let n = 0;
  for (const r of requests) if (canApprove(r, me) && !(Date.parse(r.expiresAt) <= t)) n++;
  return n;
}

interface RequestNote {
  id: string;
  requestIds: Set<string>;
}

interface Burst {
  /** The notification currently standing for the burst (single at first, then a summary). */
  note: RequestNote;
  /** Ends the burst coalesceWindowMs after its last arrival. */
  timer: unknown;
}

type Schema<T> = { safeParse(v: unknown): { success: true; data: T } | { success: false } };

function parse<T>(schema: Schema<T>, v: unknown): T | undefined {
  if (v === undefined || v === null) return undefined;
  const r = schema.safeParse(v);
  return r.success ? r.data : undefined;
}

function key(entity: SyncEntity, id: string): string {
  return `${entity}\u0000${id}`;
}

export class Notifier {
  readonly #sink: NotificationSink;
  readonly #me: () => User | undefined;
  readonly #dir: NotifierDirectory;
  readonly #settings: () => NotificationSettings;
  readonly #clock: NotifierClock;
  readonly #timeZone: string | undefined;
  readonly #cancelledBy: ((requestId: string) => Promise<string | undefined>) | undefined;

  /** Open "awaiting your approval" notifications (single or burst), by notification id. */
  readonly #notes = new Map<string, RequestNote>();
  /** Latest known state of each request an open notification covers, and which note covers it. */
  readonly #tracked = new Map<string, { request: ApprovalRequest; noteId: string }>();
  readonly #targets = new Map<string, NoticeTarget>();
  /** Open "environment frozen" notification per environment, withdrawn when it is unfrozen. */
  readonly #frozenNotes = new Map<string, string>();
  readonly #ownActions = new Map<string, number>();
  /** Requests the user cancelled from this app: their echo is their own action. */
  readonly #ownCancels = new Set<string>();
  #burst: Burst | undefined;
  #burstSeq = 0;
  #expiryTimer: unknown;
  #disposed = false;

  constructor(options: NotifierOptions) {
    this.#sink = options.sink;
    this.#me = options.me;
    this.#dir = options.directory;
    this.#settings = options.settings;
    this.#clock = options.clock ?? notifierClock();
    this.#timeZone = options.timeZone;
    this.#cancelledBy = options.cancelledBy;
  }

  /**
   * Feeds one applied /api/sync page. `previous` returns each entity's cached state from BEFORE
   * this page (call observe before SyncStore.applyChanges, or capture the states first). Entities
   * in the page override the directory for names, and a newer copy of the signed-in user
   * overrides `me()`.
   */
  observe(changes: readonly SyncChange[], previous: PreviousState, options: ObserveOptions = {}): void {
    if (this.#disposed) return;
    const page = new Map<string, SyncChange>();
    // A change seen earlier in this same call is the "before" of a later one for the same entity.
    const prior = (entity: SyncEntity, id: string): unknown => {
      const c = page.get(key(entity, id));
      return c !== undefined ? (c.op === 'delete' ? undefined : c.data) : previous(entity, id);
    };

    const meId = this.#me()?.id;
    let me = this.#me();
    const fresh: ApprovalRequest[] = [];
    const env: { before: Environment; after: Environment }[] = [];
    const sessions: BreakGlassSession[] = [];
    const decided: { before: ApprovalRequest; after: ApprovalRequest }[] = [];
    const bootstrapping = options.bootstrapping === true;

    for (const c of changes) {
      const k = key(c.entity, c.id);
      if (c.entity === 'user' && c.id === meId) {
        if (c.op === 'upsert') me = parse(User, c.data) ?? me;
      } else if (c.entity === 'request' && (!bootstrapping || this.#tracked.has(c.id))) {
        const tracked = this.#tracked.get(c.id);
        if (c.op === 'delete') {
          if (tracked) this.#tracked.set(c.id, { ...tracked, request: { ...tracked.request, status: 'cancelled' } });
        } else {
          const after = parse(ApprovalRequest, c.data);
          if (after) {
            if (tracked) this.#tracked.set(c.id, { ...tracked, request: after });
            if (!bootstrapping) {
              const beforeRaw = prior('request', c.id);
              if (beforeRaw === undefined) fresh.push(after);
              else {
                const before = parse(ApprovalRequest, beforeRaw);
                if (before) decided.push({ before, after });
              }
            }
          }
        }
      } else if (!bootstrapping && c.op === 'upsert') {
        if (c.entity === 'environment') {
          const before = parse(Environment, prior('environment', c.id));
          const after = parse(Environment, c.data);
          if (before && after) env.push({ before, after });
        } else if (c.entity === 'breakglass' && prior('breakglass', c.id) === undefined) {
          const s = parse(BreakGlassSession, c.data);
          if (s) sessions.push(s);
        }
      }
      page.set(k, c);
    }

    const names = this.#names(page);
    if (!bootstrapping) {
      // Security first: break-glass is shown before anything a burst might replace.
      for (const s of sessions) this.#breakGlass(s, me, names);
      if (me) {
        this.#newRequests(fresh, me, names);
        for (const d of decided) {
          this.#myRequestDecided(d.before, d.after, me, names);
          this.#nudged(d.before, d.after, me, names);
        }
        for (const e of env) this.#environment(e.before, e.after, me, names, [...page.values()]);
      }
    }
    this.#recheck(me);
  }

  /**
   * Re-checks the open "awaiting your approval" notifications against the current `me()` and the
   * clock, withdrawing those no longer approvable. observe() does this itself; call it when the
   * signed-in user changes outside a sync page (sign-in as someone else).
   */
  refresh(): void {
    if (!this.#disposed) this.#recheck(this.#me());
  }

  /** Where a click on notification `notificationId` should go; undefined for an unknown id. */
  target(notificationId: string): NoticeTarget | undefined {
    return this.#targets.get(notificationId);
  }

  /**
   * The user just froze or unfroze an environment, or cancelled a request, themselves: the
   * resulting change is their own action and is not notified. (An immediate unfreeze records no
   * actor the notifier could see; a cancelled request records none at all.)
   */
  noteOwnAction(action: { kind: 'environment' | 'request'; id: string }): void {
    if (action.kind === 'environment') return void this.#ownActions.set(action.id, this.#clock.now());
    this.#ownCancels.add(action.id);
    if (this.#ownCancels.size > MAX_TARGETS) {
      const oldest = this.#ownCancels.values().next().value;
      if (oldest !== undefined) this.#ownCancels.delete(oldest);
    }
  }

  /** Stops the timers; later calls do nothing. Open notifications are left to the sink. */
  dispose(): void {
    this.#disposed = true;
    if (this.#burst) this.#clock.clearTimeout(this.#burst.timer);
    this.#burst = undefined;
    if (this.#expiryTimer !== undefined) this.#clock.clearTimeout(this.#expiryTimer);
    this.#expiryTimer = undefined;
  }

  // ---- rules ------------------------------------------------------------------------------------

  /** Should a non-break-glass notification of this category be shown now? */
  #allowed(category: 'newRequests' | 'myRequests' | 'freezes'): boolean {
    const s = this.#settings();
    if (!s.enabled || !s[category]) return false;
    return !inQuietHours(s.quietHours, minutesOfDay(this.#clock.now(), this.#timeZone));
  }

  #show(n: { id: string; title: string; body: string; urgent?: boolean }, target: NoticeTarget): void {
    this.#targets.delete(n.id);
    this.#targets.set(n.id, target);
    if (this.#targets.size > MAX_TARGETS) {
      const oldest = this.#targets.keys().next().value;
      if (oldest !== undefined) this.#targets.delete(oldest);
    }
    // Built from other people's text: plain, short, no markup for the OS to interpret.
    this.#sink.show({ ...n, title: notificationText(n.title, 'title'), body: notificationText(n.body, 'body') });
  }

  /**
   * A security alert (the audit witness): always, urgent, whatever the settings and quiet hours,
   * like break-glass: it is how the user learns that history may have been rewritten.
   */
  securityAlert(n: { id: string; title: string; body: string }, target: NoticeTarget): void {
    if (this.#disposed) return;
    this.#show({ ...n, urgent: true }, target);
  }

  // (d) Break-glass: always, urgent.
  #breakGlass(s: BreakGlassSession, me: User | undefined, names: Names): void {
    const who = me !== undefined && s.userId === me.id ? 'You' : names.user(s.userId);
    const envs = s.scope.environmentIds?.length ? ` in ${s.scope.environmentIds.map((id) => names.environment(id)).join(', ')}` : '';
    this.#show(
      {
        id: `breakglass:${s.id}`,
        title: 'Break-glass session started',
        body: `${who}: ${s.reason}\n${s.scope.actions.join(', ')}${envs} until ${this.#time(s.expiresAt)}`,
        urgent: true,
      },
      { kind: 'breakglass', id: s.id },
    );
  }

  // (a) + (e) New requests I can approve, coalesced.
  #newRequests(fresh: ApprovalRequest[], me: User, names: Names): void {
    const now = this.#clock.now();
    const mine = fresh.filter((r) => r.requesterId !== me.id && canApprove(r, me) && !(Date.parse(r.expiresAt) <= now));
    if (mine.length === 0 || !this.#allowed('newRequests')) return;
    const window = this.#settings().coalesceWindowMs;

    const burst = this.#burst;
    if (burst === undefined && mine.length === 1) {
      const r = mine[0]!;
      const note: RequestNote = { id: `request:${r.id}`, requestIds: new Set([r.id]) };
      this.#openNote(note, [r]);
      this.#show({ id: note.id, title: 'New request awaiting your approval', body: requestLine(r, names, true) }, { kind: 'request', id: r.id });
      this.#burst = { note, timer: this.#burstTimer(window) };
      return;
    }

    // Several at once, or more within the window of the last: one notification replaces the rest.
    if (burst !== undefined) {
      this.#clock.clearTimeout(burst.timer);
      this.#sink.close(burst.note.id);
      this.#notes.delete(burst.note.id);
    }
    const previous = burst?.note.requestIds ?? new Set<string>();
    const stillOpen: ApprovalRequest[] = [];
    for (const id of previous) {
      const t = this.#tracked.get(id);
      if (t !== undefined) stillOpen.push(t.request);
    }
    const requests = [...stillOpen, ...mine];
    const note: RequestNote = { id: `inbox:${++this.#burstSeq}`, requestIds: new Set() };
    this.#openNote(note, requests);
    const listed = requests.slice(0, BURST_LISTED);
    const more = requests.length - listed.length;
    this.#show(
      {
        id: note.id,
        title: `${requests.length} new requests awaiting your approval`,
        body: listed.map((r) => requestLine(r, names, false)).join('\n') + (more > 0 ? `\n…and ${more} more` : ''),
      },
      { kind: 'inbox' },
    );
    this.#burst = { note, timer: this.#burstTimer(window) };
  }

  #openNote(note: RequestNote, requests: ApprovalRequest[]): void {
    for (const r of requests) {
      note.requestIds.add(r.id);
      this.#tracked.set(r.id, { request: r, noteId: note.id });
    }
    this.#notes.set(note.id, note);
  }

  #burstTimer(window: number): unknown {
    const timer = this.#clock.setTimeout(() => {
      if (this.#burst?.timer === timer) this.#burst = undefined;
    }, window);
    return timer;
  }

  // (b) My own request decided: approved or rejected (not by me), expired, or cancelled by someone else.
  #myRequestDecided(before: ApprovalRequest, after: ApprovalRequest, me: User, names: Names): void {
    if (after.requesterId !== me.id || before.status !== 'pending') return;
    const what = `${after.action} on ${names.resource(after)}`;
    const title = after.status === 'expired' ? 'Your request expired' : `Your request was ${after.status}`;
    const decided = (body: string) => ({ id: `request:${after.id}:${after.status}`, title, body });
    const target: NoticeTarget = { kind: 'request', id: after.id };
    if (after.status === 'expired') {
      if (this.#allowed('myRequests')) this.#show(decided(`${what} — it expired before it was approved`), target);
      return;
    }
    if (after.status === 'cancelled') {
      if (this.#ownCancels.delete(after.id) || this.#cancelledBy === undefined) return;
      // Asked once the page is applied; quiet hours and the setting are read when the answer comes.
      this.#cancelledBy(after.id).then(
        (by) => {
          if (this.#disposed || by === undefined || by === me.id || !this.#allowed('myRequests')) return;
          this.#show(decided(`${what} — cancelled by ${names.user(by)}`), target);
        },
        () => undefined,
      );
      return;
    }
    if (after.status !== 'approved' && after.status !== 'rejected') return;
    const kind = after.status === 'approved' ? 'approve' : 'reject';
    let by: { userId: string; comment?: string | undefined } | undefined;
    for (let i = after.decisions.length - 1; i >= 0; i--) {
      if (after.decisions[i]!.kind === kind) {
        by = after.decisions[i]!;
        break;
      }
    }
    if (by?.userId === me.id) return;
    if (!this.#allowed('myRequests')) return;
    const comment = by?.comment ? `: “${by.comment}”` : '';
    this.#show(decided(by ? `${what} — ${after.status} by ${names.user(by.userId)}${comment}` : what), target);
  }

  // Someone nudged me on a request I can still approve.
  #nudged(before: ApprovalRequest, after: ApprovalRequest, me: User, names: Names): void {
    const seen = (before.nudges ?? []).length;
    const fresh = (after.nudges ?? []).slice(seen).filter((n) => n.by !== me.id && n.userIds.includes(me.id));
    const last = fresh[fresh.length - 1];
    if (!last || !canApprove(after, me) || !this.#allowed('newRequests')) return;
    // The nudge replaces this request's earlier notification and is withdrawn like it.
    const earlier = this.#tracked.get(after.id);
    const earlierNote = earlier && this.#notes.get(earlier.noteId);
    if (earlierNote) {
      earlierNote.requestIds.delete(after.id);
      if (earlierNote.requestIds.size === 0) {
        this.#notes.delete(earlierNote.id);
        this.#sink.close(earlierNote.id);
      }
    }
    const note: RequestNote = { id: `request:${after.id}:nudge:${last.at}`, requestIds: new Set() };
    this.#openNote(note, [after]);
    this.#show(
      {
        id: note.id,
        title: `${names.user(last.by)} is waiting on your review`,
        body: `${after.action} on ${names.resource(after)}${last.message ? `: “${last.message}”` : ''}`,
      },
      { kind: 'request', id: after.id },
    );
  }

  // (c) An environment frozen or unfrozen (not by me).
  #environment(before: Environment, after: Environment, me: User, names: Names, page: SyncChange[]): void {
    const frozen = after.freeze !== undefined && (before.freeze === undefined || before.freeze.at !== after.freeze.at);
    const unfrozen = before.freeze !== undefined && after.freeze === undefined;
    if (!frozen && !unfrozen) return;
    const own = this.#ownActions.get(after.id);
    if (own !== undefined) {
      if (this.#clock.now() - own <= OWN_ACTION_MS) {
        this.#ownActions.delete(after.id);
        return;
      }
      this.#ownActions.delete(after.id);
    }
    const target: NoticeTarget = { kind: 'environment', id: after.id };

    if (frozen) {
      const f = after.freeze!;
      if (f.by === me.id || !this.#allowed('freezes')) return;
      const id = `environment:${after.id}:frozen:${f.at}`;
      this.#frozenNotes.set(after.id, id);
      this.#show(
        {
          id,
          title: `${after.name} frozen`,
          body: `${names.user(f.by)} froze ${after.name}${f.reason ? `: ${f.reason}` : ''}${f.until ? `\nUntil ${this.#time(f.until)}` : ''}`,
        },
        target,
      );
      return;
    }

    // Unfrozen: the approved unfreeze request in the same page says who and why; a freeze whose
    // `until` has passed ended on its own; an immediate unfreeze records no actor.
    const old = before.freeze!;
    const via = page
      .filter((c) => c.entity === 'request' && c.op === 'upsert')
      .map((c) => parse(ApprovalRequest, c.data))
      .find((r) => r?.action === 'environment.unfreeze' && r.status === 'approved' && r.resource.environmentId === after.id);
    if (via?.requesterId === me.id) return;
    const frozenNote = this.#frozenNotes.get(after.id);
    if (frozenNote !== undefined) {
      this.#frozenNotes.delete(after.id);
      this.#sink.close(frozenNote);
    }
    if (!this.#allowed('freezes')) return;
    const scheduled = old.until !== undefined && Date.parse(old.until) <= this.#clock.now();
    const why = via
      ? `${names.user(via.requesterId)} unfroze ${after.name}${via.justification ? `: ${via.justification}` : ''}`
      : scheduled
        ? `The freeze of ${after.name} ended as scheduled`
        : `${after.name} was unfrozen`;
    this.#show(
      { id: `environment:${after.id}:unfrozen:${this.#clock.now()}`, title: `${after.name} unfrozen`, body: `${why}\nProtection: ${after.protection}` },
      target,
    );
  }

  // (g) Withdraw what is no longer approvable by me (decided, cancelled, expired, or my roles changed).
  #recheck(me: User | undefined): void {
    const now = this.#clock.now();
    let nextExpiry = Infinity;
    for (const [requestId, t] of this.#tracked) {
      const r = t.request;
      const expiry = Date.parse(r.expiresAt);
      const open = me !== undefined && canApprove(r, me) && !(expiry <= now);
      if (open) {
        if (expiry < nextExpiry) nextExpiry = expiry;
        continue;
      }
      this.#tracked.delete(requestId);
      const note = this.#notes.get(t.noteId);
      if (note === undefined) continue;
      note.requestIds.delete(requestId);
      if (note.requestIds.size > 0) continue;
      this.#notes.delete(note.id);
      this.#sink.close(note.id);
      if (this.#burst?.note === note) {
        this.#clock.clearTimeout(this.#burst.timer);
        this.#burst = undefined;
      }
    }
    if (this.#expiryTimer !== undefined) this.#clock.clearTimeout(this.#expiryTimer);
    this.#expiryTimer = undefined;
    if (Number.isFinite(nextExpiry)) {
      this.#expiryTimer = this.#clock.setTimeout(
        () => {
          this.#expiryTimer = undefined;
          this.refresh();
        },
        Math.min(MAX_DELAY, Math.max(0, nextExpiry - now)),
      );
    }
  }

  // ---- texts ------------------------------------------------------------------------------------

  #time(iso: string): string {
    const ms = Date.parse(iso);
    if (!Number.isFinite(ms)) return iso;
    return new Intl.DateTimeFormat('en-GB', {
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      ...(this.#timeZone ? { timeZone: this.#timeZone } : {}),
    }).format(ms);
  }

  #names(page: Map<string, SyncChange>): Names {
    const fromPage = <T>(entity: SyncEntity, id: string, schema: Schema<T>): T | undefined => {
      const c = page.get(key(entity, id));
      return c?.op === 'upsert' ? parse(schema, c.data) : undefined;
    };
    const dir = this.#dir;
    const user = (id: string) => (fromPage('user', id, User) ?? dir.user(id))?.name ?? id;
    const env = (id: string) => fromPage('environment', id, Environment) ?? dir.environment(id);
    const project = (id: string) => (fromPage('project', id, Project) ?? dir.project?.(id))?.name ?? id;
    const cluster = (id: string) => (fromPage('cluster', id, Cluster) ?? dir.cluster?.(id))?.name ?? id;
    return {
      user,
      environment: (id) => env(id)?.name ?? id,
      resource(r) {
        const { environmentId, projectId, clusterId } = r.resource;
        if (environmentId !== undefined) {
          const e = env(environmentId);
          const p = projectId ?? e?.projectId;
          const name = e?.name ?? environmentId;
          return p !== undefined ? `${project(p)}/${name}` : name;
        }
        if (projectId !== undefined) return project(projectId);
        if (clusterId !== undefined) return `cluster ${cluster(clusterId)}`;
        return 'the organization';
      },
    };
  }
}

interface Names {
  user(id: string): string;
  environment(id: string): string;
  resource(r: Pick<ApprovalRequest, 'resource'>): string;
}

/** "Rick: release.deploy on api/production" (+ the justification on its own line when `full`). */
function requestLine(r: ApprovalRequest, names: Names, full: boolean): string {
  const line = `${names.user(r.requesterId)}: ${r.action} on ${names.resource(r)}`;
  const why = r.justification.trim();
  return full && why ? `${line}\n“${why}”` : line;
}
