// Break-glass: the sessions in the cache, the signed-in user's active one (the app-wide banner
// counts it down every second), what was done under a session (audit events that carry its id,
// from the server while online), start / end through the outbox, and the review of ended sessions
// (the Needs review list, a verdict recorded on the server).
import { createSubscriber } from 'svelte/reactivity';
import type { AuditEvent, BreakGlassSession, BreakGlassScope, BreakGlassVerdict, User } from '../../../../shared/schemas/index.ts';
import type { OutboxEntry } from '../../../../shared/desktop/outbox.ts';
// From the modules themselves, not the policy index: that would pull the CEL compiler into the first chunk.
import { breakGlassReviewRefusal, mayBreakGlass } from '../../../../shared/policy/roles.ts';
import { awaitsReview } from '../../../../shared/policy/breakglass.ts';
import { whoMayReview, whoMayStart } from '../who-may-break-glass.ts';
import { ApiError, call, errorMessage, on } from '../api.ts';
import { session } from './session.svelte.ts';
import { connection } from './connection.svelte.ts';
import { directory } from './directory.svelte.ts';

/** "12:05" (or "1:02:05" past an hour) until `iso`, never negative. */
export function countdown(iso: string, now: number): string {
  const s = Math.max(0, Math.floor((Date.parse(iso) - now) / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${String(m).padStart(2, '0')}:${ss}`;
}

export type ActionsUnderSession = { state: 'loading' } | { state: 'ready'; events: AuditEvent[] } | { state: 'unavailable'; offline: boolean; message: string };

export class BreakGlassState {
  #sessions = $state.raw<BreakGlassSession[]>([]);
  #loaded = $state(false);
  #actions = $state.raw<ReadonlyMap<string, ActionsUnderSession>>(new Map());
  #busy = $state(false);

  #subscribe = createSubscriber(() => {
    void this.refresh();
    return on('cache.changed', (c) => {
      if (c.entities.includes('breakglass')) void this.refresh();
    });
  });

  async refresh(): Promise<void> {
    try {
      const { sessions } = await call('breakglass.list', {});
      this.#sessions = [...sessions].sort((a, b) => b.startedAt.localeCompare(a.startedAt));
      this.#loaded = true;
    } catch {
      // signed out: keep what we have
    }
  }

  get sessions(): BreakGlassSession[] {
    this.#subscribe();
    return this.#sessions;
  }
  get loaded(): boolean {
    this.#subscribe();
    return this.#loaded;
  }
  get busy(): boolean {
    return this.#busy;
  }

  /**
   * Active at `now`: not ended and not yet expired. (Not "started before now": a session is
   * started when the server creates it, and the callers' `now` may be a clock that ticks slowly.)
   */
  isActive(s: BreakGlassSession, now: number): boolean {
    return !s.endedAt && now < Date.parse(s.expiresAt);
  }

  /** The signed-in user's active session (not one whose revoke waits in the outbox). */
  active(now: number): BreakGlassSession | undefined {
    const me = session.user?.id;
    if (!me) return undefined;
    return this.sessions.find((s) => s.userId === me && this.isActive(s, now) && this.revokeQueued(s.id) === undefined);
  }

  /** Everyone else's active sessions, soonest to end first. */
  othersActive(now: number): BreakGlassSession[] {
    const me = session.user?.id;
    return this.sessions.filter((s) => s.userId !== me && this.isActive(s, now)).sort((a, b) => a.expiresAt.localeCompare(b.expiresAt));
  }

  /**
   * May the signed-in user start a session? The server's own rule (shared/policy), applied to the
   * user as the synced directory has them, which is what the server judges.
   */
  get mayStart(): boolean {
    const user = session.user;
    if (!user) return false;
    return mayBreakGlass(directory.data.users.find((u) => u.id === user.id) ?? user);
  }

  /** The signed-in user as the synced directory has them (what the server judges). */
  #me(): User | undefined {
    const user = session.user;
    if (!user) return undefined;
    return directory.data.users.find((u) => u.id === user.id) ?? user;
  }

  /** Ended, unreviewed sessions, the longest-waiting first (an unswept expiry ended at expiresAt). */
  needsReview(now: number): BreakGlassSession[] {
    return this.sessions
      .filter((s) => awaitsReview(s, now))
      .sort((a, b) => (a.endedAt ?? a.expiresAt).localeCompare(b.endedAt ?? b.expiresAt) || a.id.localeCompare(b.id));
  }

  /**
   * Why the signed-in user may not review this session (the server's refusal, from the shared
   * rule), or undefined when they may. Without a session: whether they may review at all.
   */
  reviewRefusal(s?: BreakGlassSession): string | undefined {
    const me = this.#me();
    if (!me) return 'sign in to review break-glass sessions';
    return breakGlassReviewRefusal(me, s);
  }

  /** Records the verdict on the server (online only); the cache has the reviewed session at once. */
  async review(id: string, verdict: BreakGlassVerdict, notes: string): Promise<BreakGlassSession> {
    this.#busy = true;
    try {
      const { session: reviewed } = await call('breakglass.review', { id, verdict, notes: notes.trim() });
      await this.refresh();
      return reviewed;
    } finally {
      this.#busy = false;
    }
  }

  /** Who may review sessions, by name, from the directory. */
  get whoMayReview(): string {
    return whoMayReview(directory.data.users);
  }

  /** Who may start a session, by name, from the directory. */
  get whoMayStart(): string {
    return whoMayStart(directory.data.users);
  }

  /** A start waiting in the outbox. */
  get startQueued(): OutboxEntry | undefined {
    return connection.outbox.entries.find((e) => e.op.type === 'breakglass.start' && e.state !== 'conflict');
  }
  revokeQueued(sessionId: string): OutboxEntry | undefined {
    return connection.outbox.entries.find((e) => e.op.type === 'breakglass.revoke' && e.op.sessionId === sessionId && e.state !== 'conflict');
  }
  /** Starts and ends the server refused, until dismissed. */
  get conflicts(): OutboxEntry[] {
    return connection.outbox.entries.filter((e) => (e.op.type === 'breakglass.start' || e.op.type === 'breakglass.revoke') && e.state === 'conflict');
  }

  async start(reason: string, scope: BreakGlassScope, durationMinutes: number): Promise<OutboxEntry> {
    this.#busy = true;
    try {
      return await call('outbox.enqueue', {
        type: 'breakglass.start',
        reason: reason.trim(),
        scope: { actions: scope.actions, ...(scope.environmentIds && scope.environmentIds.length > 0 ? { environmentIds: scope.environmentIds } : {}) },
        durationMinutes,
      });
    } finally {
      this.#busy = false;
    }
  }

  async end(sessionId: string): Promise<void> {
    this.#busy = true;
    try {
      await call('outbox.enqueue', { type: 'breakglass.revoke', sessionId });
    } finally {
      this.#busy = false;
    }
  }

  /** What was done under a session: its audit events (the server has them; online only). */
  actionsUnder(sessionId: string): ActionsUnderSession {
    this.#subscribe();
    return this.#actions.get(sessionId) ?? { state: 'loading' };
  }

  async loadActions(sessionId: string): Promise<void> {
    const set = (v: ActionsUnderSession) => (this.#actions = new Map(this.#actions).set(sessionId, v));
    if (!this.#actions.has(sessionId)) set({ state: 'loading' });
    try {
      const events: AuditEvent[] = [];
      let after = 0;
      for (let page = 0; page < 50; page++) {
        const res = await call('audit.page', { after, limit: 1000 });
        events.push(...res.events.filter((e) => e.breakGlassSessionId === sessionId));
        if (res.next === null) break;
        after = res.next;
      }
      set({ state: 'ready', events: events.reverse() });
    } catch (err) {
      const offline = err instanceof ApiError && (err.code === 'offline' || err.code === 'disconnected' || err.code === 'signed_out');
      set({ state: 'unavailable', offline, message: errorMessage(err) });
    }
  }
}

export const breakglass = new BreakGlassState();
