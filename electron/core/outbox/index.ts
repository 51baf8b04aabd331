// The durable outbox: decisions made offline (or while a call is in flight) wait here, on disk,
// until the server has answered them. An append-only JSONL journal:
//   {"t":"enqueue","id","key","op","queuedAt","owner","holdUntil"?}  a decision (its Idempotency-Key
//                                                   is fixed here), who queued it for which server,
//                                                   and the end of its undo window if it has one
//   {"t":"done","id","status"}                      the server answered 2xx: gone from the queue
//   {"t":"conflict","id","error":{status,code,message}}  the server refused it: shown until dismissed
//   {"t":"dismiss","id"}                            the user dismissed a conflict
//   {"t":"undo","id"}                               the user undid a held entry before it was sent
// enqueue() resolves only once its line is fsynced (then the UI may say "queued"). Concurrent
// appends share one write + fsync (group commit). Replay tolerates a torn last line (a crash mid
// write): it is cut off. The journal is replaced atomically (../atomic-write.ts) when most of its
// lines are dead.
// An entry is sent only under the identity that queued it (owner: user, server URL, server id):
// under any other, or with no owner (journaled before owners were recorded: whose it was is not
// known), it becomes a conflict with status 0 and is never sent. Sign-out sets queued entries aside
// the same way (setAside), so nothing queued by one session is sent by a later one.
// A held entry (holdUntil) is skipped by drains until its hold ends; onHoldEnd listeners are told
// then, so the connection drains again. Undo is journaled like everything else: an undone entry
// stays undone after a restart, and one not undone is still sent (the user made that decision).
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { open, readFile, truncate, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { BackendClient } from '../client/index.ts';
import { ApiError, describeError } from '../client/errors.ts';
import { OutboxOp, OutboxOwner, type OutboxEntry, type OutboxIdentity } from '../../../shared/desktop/outbox.ts';
import { systemClock, type Clock } from '../../../shared/clock.ts';
import { fsyncDir, writeFileAtomic } from '../atomic-write.ts';

export {
  OutboxOp,
  OutboxOwner,
  type OutboxOpType,
  type OutboxConflict,
  type OutboxEntry,
  type OutboxIdentity,
  type OutboxState,
} from '../../../shared/desktop/outbox.ts';

/** The calls the outbox makes (a BackendClient has them all). */
export type OutboxClient = Pick<
  BackendClient,
  'approve' | 'reject' | 'cancel' | 'freeze' | 'unfreeze' | 'startBreakGlass' | 'revokeBreakGlass' | 'createRequest'
>;

export interface DrainResult {
  /** Entries the server accepted (2xx) in this drain. */
  sent: number;
  /** Entries that became conflicts in this drain. */
  conflicts: number;
  /** Entries still queued (not conflicts) when the drain stopped. */
  remaining: number;
  /** Why the drain stopped early (network down, 5xx, 401…), if it did. */
  stoppedBy?: string;
}

export interface DrainOptions {
  /** Who the client sends as: only entries this identity queued are sent. */
  identity: OutboxIdentity;
  /** Called after each entry the server accepted, with the server's answer (for optimistic updates). */
  onApplied?: (entry: OutboxEntry, result: unknown) => void;
  signal?: AbortSignal;
}

export interface EnqueueOptions {
  /** Hold the entry this long (an undo window) before any drain may send it. */
  holdMs?: number;
}

/** Why an undo did not happen (`undone` when it did). */
export type UndoResult = 'undone' | 'unknown' | 'not_held' | 'sending' | 'conflict';

/** The longest undo window the outbox accepts: a decision must not sit unsent for long. */
export const MAX_HOLD_MS = 60_000;

export interface OutboxOptions {
  /** Rewrite the journal when it has more than this many lines and at most a quarter are live (default 1000). */
  compactAfter?: number;
  /** Stamps `queuedAt`. */
  now?: Clock;
}

/** Statuses that no retry will fix: the entry becomes a visible conflict. */
export const CONFLICT_STATUSES: ReadonlySet<number> = new Set([400, 403, 404, 409, 410, 412, 413, 422, 423]);

const Record_ = z.discriminatedUnion('t', [
  z.object({
    t: z.literal('enqueue'),
    id: z.string(),
    key: z.string(),
    op: z.unknown(),
    queuedAt: z.string(),
    owner: OutboxOwner.optional(),
    holdUntil: z.string().optional(),
  }),
  z.object({ t: z.literal('done'), id: z.string(), status: z.number().optional() }),
  z.object({ t: z.literal('conflict'), id: z.string(), error: z.object({ status: z.number(), code: z.string(), message: z.string() }) }),
  z.object({ t: z.literal('dismiss'), id: z.string() }),
  z.object({ t: z.literal('undo'), id: z.string() }),
]);
type JournalRecord = z.infer<typeof Record_>;

export class Outbox {
  readonly #file: string;
  readonly #compactAfter: number;
  #fh: FileHandle;
  readonly #entries = new Map<string, OutboxEntry>();
  readonly #listeners = new Set<(entries: OutboxEntry[]) => void>();
  /** Lines in the journal file. */
  #lines: number;
  /** The journal's logical content (what compaction writes): updated as records reach the disk. */
  readonly #durable = new Map<string, { enqueue: Extract<JournalRecord, { t: 'enqueue' }>; conflict?: Extract<JournalRecord, { t: 'conflict' }> }>();
  #pending: JournalRecord[] = [];
  #waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  #flushing = false;
  /** A write failed part-way: the next write first ends whatever partial line it may have left. */
  #tornWrite = false;
  #closed = false;
  #draining: Promise<DrainResult> | undefined;
  #drainAgain = false;
  #now: Clock;
  /** Entries whose undo is being journaled: no drain may pick them up meanwhile. */
  readonly #undoing = new Set<string>();
  readonly #holdListeners = new Set<() => void>();
  readonly #appliedListeners = new Set<(entry: OutboxEntry, result: unknown) => void>();
  #holdTimer: ReturnType<typeof setTimeout> | undefined;
  /** What replay found: lines skipped as unreadable, and whether a torn tail was cut. */
  readonly recovery: { tornTail: boolean; skippedLines: number };

  private constructor(file: string, fh: FileHandle, lines: number, recovery: { tornTail: boolean; skippedLines: number }, options: OutboxOptions) {
    this.#file = file;
    this.#fh = fh;
    this.#lines = lines;
    this.recovery = recovery;
    this.#compactAfter = options.compactAfter ?? 1000;
    this.#now = options.now ?? systemClock;
  }

  /** Opens (or creates) the journal at `file` and replays it. */
  static async open(file: string, options: OutboxOptions = {}): Promise<Outbox> {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    let buf: Buffer;
    try {
      buf = await readFile(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      buf = Buffer.alloc(0);
    }
    const records: JournalRecord[] = [];
    let skippedLines = 0;
    let tornTail = false;
    const lastNl = buf.lastIndexOf(0x0a);
    const body = buf.subarray(0, lastNl + 1).toString('utf8');
    const tail = buf.subarray(lastNl + 1).toString('utf8');
    const parse = (line: string): JournalRecord | undefined => {
      try {
        const r = Record_.safeParse(JSON.parse(line));
        return r.success ? r.data : undefined;
      } catch {
        return undefined;
      }
    };
    let lines = 0;
    for (const line of body.split('\n')) {
      if (line.trim() === '') continue;
      lines++;
      const r = parse(line);
      if (r) records.push(r);
      else skippedLines++;
    }
    let repairTail = false;
    if (tail.trim() !== '') {
      const r = parse(tail);
      if (r) {
        // complete JSON without its newline: keep it, finish the line
        records.push(r);
        lines++;
        repairTail = true;
      } else {
        tornTail = true;
        await truncate(file, lastNl + 1);
      }
    }
    const fh = await open(file, 'a', 0o600);
    // Queued decisions are the user's: only they may read the journal (an older one is tightened).
    if (process.platform !== 'win32') await fh.chmod(0o600);
    if (repairTail) {
      await fh.write('\n');
      await fh.datasync();
    }
    await fsyncDir(dirname(file));
    const box = new Outbox(file, fh, lines, { tornTail, skippedLines }, options);
    for (const r of records) {
      box.#apply(r);
      box.#applyDurable(r);
    }
    if (box.#needsCompaction()) await box.#withWriter(() => box.#compact());
    box.#armHoldTimer();
    return box;
  }

  #apply(r: JournalRecord): void {
    switch (r.t) {
      case 'enqueue': {
        const op = OutboxOp.safeParse(r.op);
        if (!op.success) return;
        this.#entries.set(r.id, {
          id: r.id,
          idempotencyKey: r.key,
          op: op.data,
          queuedAt: r.queuedAt,
          state: 'queued',
          ...(r.owner ? { owner: r.owner } : {}),
          ...(r.holdUntil !== undefined && Number.isFinite(Date.parse(r.holdUntil)) ? { holdUntil: r.holdUntil } : {}),
        });
        return;
      }
      case 'done':
        this.#entries.delete(r.id);
        return;
      case 'conflict': {
        const e = this.#entries.get(r.id);
        if (e) {
          e.state = 'conflict';
          e.error = r.error;
          delete e.lastError;
        }
        return;
      }
      case 'dismiss':
      case 'undo':
        this.#entries.delete(r.id);
        return;
    }
  }

  #applyDurable(r: JournalRecord): void {
    switch (r.t) {
      case 'enqueue':
        if (OutboxOp.safeParse(r.op).success) this.#durable.set(r.id, { enqueue: r });
        return;
      case 'conflict': {
        const d = this.#durable.get(r.id);
        if (d) d.conflict = r;
        return;
      }
      default:
        this.#durable.delete(r.id);
    }
  }

  get file(): string {
    return this.#file;
  }

  /** Every entry (queued, sending, conflict), oldest first. Copies. */
  list(): OutboxEntry[] {
    return [...this.#entries.values()].map((e) => structuredClone(e));
  }

  get(id: string): OutboxEntry | undefined {
    const e = this.#entries.get(id);
    return e ? structuredClone(e) : undefined;
  }

  /** Entries waiting to be sent (not conflicts). */
  get pendingCount(): number {
    let n = 0;
    for (const e of this.#entries.values()) if (e.state !== 'conflict') n++;
    return n;
  }

  /** Called with the full list after every change; returns an unsubscribe function. */
  onChange(cb: (entries: OutboxEntry[]) => void): () => void {
    this.#listeners.add(cb);
    return () => this.#listeners.delete(cb);
  }

  #emit(): void {
    if (this.#listeners.size === 0) return;
    const snapshot = this.list();
    for (const cb of this.#listeners) {
      try {
        cb(snapshot);
      } catch {
        // a listener's bug must not break the queue
      }
    }
  }

  /**
   * Validates `op`, gives it an id and an Idempotency-Key, appends it and fsyncs; resolves with the
   * entry once it is on disk. `owner`: the signed-in user and server it is for. Throws a ZodError
   * for an invalid op or owner.
   */
  async enqueue(op: OutboxOp, owner: OutboxOwner, options: EnqueueOptions = {}): Promise<OutboxEntry> {
    const parsed = OutboxOp.parse(op);
    const by = OutboxOwner.parse(owner);
    const holdMs = options.holdMs;
    if (holdMs !== undefined && !(Number.isInteger(holdMs) && holdMs > 0 && holdMs <= MAX_HOLD_MS)) {
      throw new RangeError(`holdMs must be a whole number of milliseconds from 1 to ${MAX_HOLD_MS}, got ${holdMs}`);
    }
    if (this.#closed) throw new Error('outbox is closed');
    const now = this.#now();
    const entry: OutboxEntry = {
      id: randomUUID(),
      idempotencyKey: `gh-outbox-${randomUUID()}`,
      op: parsed,
      queuedAt: now.toISOString(),
      ...(holdMs !== undefined ? { holdUntil: new Date(now.getTime() + holdMs).toISOString() } : {}),
      state: 'queued',
      owner: by,
    };
    await this.#append({
      t: 'enqueue',
      id: entry.id,
      key: entry.idempotencyKey,
      op: parsed,
      queuedAt: entry.queuedAt,
      owner: by,
      ...(entry.holdUntil !== undefined ? { holdUntil: entry.holdUntil } : {}),
    });
    this.#entries.set(entry.id, entry);
    this.#armHoldTimer();
    this.#emit();
    return structuredClone(entry);
  }

  /**
   * Removes a held entry that has not been sent (the user pressed Undo). Only entries queued with a
   * hold can be undone, and only while they are still queued: once a drain is sending one, or the
   * server has answered it, it is too late. Resolves once the undo is on disk.
   */
  async undo(id: string): Promise<UndoResult> {
    const e = this.#entries.get(id);
    if (!e) return 'unknown';
    if (e.holdUntil === undefined) return 'not_held';
    if (e.state === 'sending') return 'sending';
    if (e.state === 'conflict') return 'conflict';
    if (this.#undoing.has(id)) return 'undone';
    this.#undoing.add(id);
    try {
      await this.#append({ t: 'undo', id });
    } finally {
      this.#undoing.delete(id);
    }
    this.#entries.delete(id);
    this.#armHoldTimer();
    this.#emit();
    return 'undone';
  }

  /** Whether the entry waits for its undo window to end. */
  #held(e: OutboxEntry, nowMs: number): boolean {
    return this.#undoing.has(e.id) || (e.holdUntil !== undefined && Date.parse(e.holdUntil) > nowMs);
  }

  /**
   * Called after every entry the server accepted, whichever drain sent it, with the server's answer
   * (a filed request's id is known only from it); returns an unsubscribe function.
   */
  onApplied(cb: (entry: OutboxEntry, result: unknown) => void): () => void {
    this.#appliedListeners.add(cb);
    return () => this.#appliedListeners.delete(cb);
  }

  /** Called when a hold ends (a drain then sends the entry); returns an unsubscribe function. */
  onHoldEnd(cb: () => void): () => void {
    this.#holdListeners.add(cb);
    return () => this.#holdListeners.delete(cb);
  }

  /** One timer, for the earliest hold still running among queued entries. */
  #armHoldTimer(): void {
    clearTimeout(this.#holdTimer);
    this.#holdTimer = undefined;
    if (this.#closed) return;
    const nowMs = this.#now().getTime();
    let next = Number.POSITIVE_INFINITY;
    for (const e of this.#entries.values()) {
      if (e.state !== 'queued' || e.holdUntil === undefined) continue;
      const until = Date.parse(e.holdUntil);
      if (until > nowMs && until < next) next = until;
    }
    if (next === Number.POSITIVE_INFINITY) return;
    this.#holdTimer = setTimeout(
      () => {
        this.#holdTimer = undefined;
        this.#emit();
        for (const cb of this.#holdListeners) {
          try {
            cb();
          } catch {
            // a listener's bug must not stop the next hold from ending
          }
        }
        this.#armHoldTimer();
      },
      // a few ms late rather than early: the clock must read past holdUntil when the drain looks
      Math.min(next - nowMs + 5, MAX_HOLD_MS + 5),
    );
  }

  /** Forgets a conflict entry (the user saw it). Queued entries cannot be dismissed. */
  async dismiss(id: string): Promise<boolean> {
    const e = this.#entries.get(id);
    if (e?.state !== 'conflict') return false;
    await this.#append({ t: 'dismiss', id });
    this.#entries.delete(id);
    this.#emit();
    return true;
  }

  /**
   * Sign-out: every entry still queued becomes a conflict (status 0, `signed_out`), shown until
   * dismissed and never sent, not even if the same user signs in again later. Waits for a running
   * drain first. Returns how many were set aside.
   */
  async setAside(): Promise<number> {
    await this.#draining?.catch(() => undefined);
    let n = 0;
    for (const e of [...this.#entries.values()]) {
      if (e.state === 'conflict') continue;
      await this.#markConflict(e, { status: 0, code: 'signed_out', message: `${describeOwner(e)}; signed out before it was sent, so it was not sent` });
      n++;
    }
    if (n) this.#emit();
    return n;
  }

  async #markConflict(entry: OutboxEntry, error: { status: number; code: string; message: string }): Promise<void> {
    await this.#append({ t: 'conflict', id: entry.id, error });
    entry.state = 'conflict';
    entry.error = error;
    delete entry.lastError;
  }

  /**
   * Sends queued entries strictly in order with their Idempotency-Keys. 2xx: removed. A refusal no
   * retry can fix (403/404/409/412/422/423/400…): kept as a conflict. A network error, 5xx, 401 or
   * 429: the entry stays queued and the drain stops (order is kept). One drain at a time: a call
   * during a drain joins it (and makes it look again for entries queued meanwhile). An entry that
   * `options.identity` did not queue becomes a conflict without being sent.
   */
  drain(client: OutboxClient, options: DrainOptions): Promise<DrainResult> {
    if (this.#draining) {
      this.#drainAgain = true;
      return this.#draining;
    }
    const run = this.#drain(client, options).finally(() => {
      this.#draining = undefined;
    });
    this.#draining = run;
    return run;
  }

  async #drain(client: OutboxClient, options: DrainOptions): Promise<DrainResult> {
    const result: DrainResult = { sent: 0, conflicts: 0, remaining: 0 };
    do {
      this.#drainAgain = false;
      for (;;) {
        if (this.#closed || options.signal?.aborted) {
          result.stoppedBy ??= 'stopped';
          break;
        }
        const nowMs = this.#now().getTime();
        const entry = [...this.#entries.values()].find((e) => e.state === 'queued' && !this.#held(e, nowMs));
        if (!entry) break;
        if (!sameIdentity(entry, options.identity)) {
          await this.#markConflict(entry, { status: 0, code: 'other_identity', message: `${describeOwner(entry)}; not sent under another identity` });
          result.conflicts++;
          this.#emit();
          continue;
        }
        entry.state = 'sending';
        this.#emit();
        let answer: unknown;
        try {
          answer = await send(client, entry, options.signal);
        } catch (err) {
          if (err instanceof ApiError && err.status >= 200 && err.status < 300) {
            // applied, but the body did not parse: it is done all the same
            answer = undefined;
          } else if (err instanceof ApiError && CONFLICT_STATUSES.has(err.status)) {
            await this.#markConflict(entry, { status: err.status, code: err.code, message: conflictMessage(err) });
            result.conflicts++;
            this.#emit();
            continue;
          } else {
            entry.state = 'queued';
            entry.lastError = describeError(err);
            result.stoppedBy = entry.lastError;
            this.#emit();
            break;
          }
        }
        await this.#append({ t: 'done', id: entry.id, status: 200 });
        this.#entries.delete(entry.id);
        result.sent++;
        this.#emit();
        for (const cb of [options.onApplied, ...this.#appliedListeners]) {
          try {
            cb?.(structuredClone(entry), answer);
          } catch {
            // not ours to fail on
          }
        }
      }
    } while (this.#drainAgain && result.stoppedBy === undefined);
    result.remaining = this.pendingCount;
    return result;
  }

  // ---- the journal writer ---------------------------------------------------------------------

  #append(record: JournalRecord): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('outbox is closed'));
    return new Promise((resolve, reject) => {
      this.#pending.push(record);
      this.#waiters.push({ resolve, reject });
      void this.#flush();
    });
  }

  /** Runs `fn` with the writer to itself (after pending appends). */
  async #withWriter(fn: () => Promise<void>): Promise<void> {
    while (this.#flushing) await new Promise((r) => setImmediate(r));
    this.#flushing = true;
    try {
      await fn();
    } finally {
      this.#flushing = false;
    }
    if (this.#pending.length) void this.#flush();
  }

  async #flush(): Promise<void> {
    if (this.#flushing) return;
    this.#flushing = true;
    try {
      while (this.#pending.length > 0) {
        const batch = this.#pending.splice(0);
        const waiters = this.#waiters.splice(0);
        try {
          const text = batch.map((r) => `${JSON.stringify(r)}\n`).join('');
          await this.#fh.write(this.#tornWrite ? `\n${text}` : text);
          await this.#fh.datasync();
          this.#tornWrite = false;
          this.#lines += batch.length;
        } catch (err) {
          this.#tornWrite = true;
          for (const w of waiters) w.reject(err);
          continue;
        }
        for (const r of batch) this.#applyDurable(r);
        for (const w of waiters) w.resolve();
        if (this.#needsCompaction()) {
          try {
            await this.#compact();
          } catch {
            // the journal is still valid as it was; try again next time
          }
        }
      }
    } finally {
      this.#flushing = false;
    }
  }

  #needsCompaction(): boolean {
    return this.#lines > this.#compactAfter && this.#lines > 4 * this.#liveLines();
  }

  #liveLines(): number {
    let n = 0;
    for (const d of this.#durable.values()) n += d.conflict ? 2 : 1;
    return n;
  }

  /** Replaces the journal with the live entries only, then appends to the new file. */
  async #compact(): Promise<void> {
    const lines: string[] = [];
    for (const d of this.#durable.values()) {
      lines.push(JSON.stringify(d.enqueue));
      if (d.conflict) lines.push(JSON.stringify(d.conflict));
    }
    await writeFileAtomic(this.#file, lines.length ? `${lines.join('\n')}\n` : '');
    const old = this.#fh;
    this.#fh = await open(this.#file, 'a', 0o600);
    this.#lines = lines.length;
    await old.close().catch(() => undefined);
  }

  /** Lines in the journal now (for tests and diagnostics). */
  get journalLines(): number {
    return this.#lines;
  }

  /** Waits for pending writes, then closes the file. A running drain stops after its current entry. */
  async close(): Promise<void> {
    if (this.#closed) return;
    while (this.#flushing || this.#pending.length) await new Promise((r) => setImmediate(r));
    this.#closed = true;
    clearTimeout(this.#holdTimer);
    await this.#draining?.catch(() => undefined);
    await this.#fh.close();
  }
}

/** Whether `identity` is the one that queued the entry. An entry without an owner matches nobody. */
export function sameIdentity(entry: Pick<OutboxEntry, 'owner'>, identity: OutboxIdentity): boolean {
  const o = entry.owner;
  if (!o) return false;
  if (o.userId !== identity.userId || o.serverUrl !== identity.serverUrl) return false;
  return o.serverId === undefined || identity.serverId === undefined || o.serverId === identity.serverId;
}

/** "queued by rhea@… for server https://…", or why nobody is known. */
function describeOwner(entry: Pick<OutboxEntry, 'owner'>): string {
  const o = entry.owner;
  if (!o) return 'queued by an earlier version that did not record who queued it or for which server';
  return `queued by ${o.userEmail ?? o.userId} for server ${o.serverUrl}`;
}

/**
 * The refusal in the server's words. A 422 `policy_violations` says only "policy violations" in its
 * message; which policy wants what is in its details, and the conflict is all the user will see.
 */
function conflictMessage(err: ApiError): string {
  if (err.code !== 'policy_violations' || !Array.isArray(err.details)) return err.message;
  const reasons = err.details.flatMap((d: unknown) =>
    typeof d === 'object' && d !== null && typeof (d as { message?: unknown }).message === 'string' ? [(d as { message: string }).message] : [],
  );
  return reasons.length ? reasons.join('; ') : err.message;
}

/** Sends one entry's op with its Idempotency-Key. */
function send(client: OutboxClient, entry: OutboxEntry, signal: AbortSignal | undefined): Promise<unknown> {
  const key = entry.idempotencyKey;
  const opts = signal ? { signal } : undefined;
  const op = entry.op;
  switch (op.type) {
    case 'approve':
      return client.approve(op.requestId, strip({ comment: op.comment, reviewedDigest: op.reviewedDigest, review: op.review }), key, opts);
    case 'reject':
      return client.reject(op.requestId, strip({ comment: op.comment }), key, opts);
    case 'cancel':
      return client.cancel(op.requestId, key, opts);
    case 'freeze':
      return client.freeze(op.environmentId, strip({ reason: op.reason, until: op.until }) as { reason: string }, key, opts);
    case 'unfreeze':
      return client.unfreeze(op.environmentId, strip({ reason: op.reason }), key, opts);
    case 'breakglass.start':
      return client.startBreakGlass({ reason: op.reason, scope: op.scope, durationMinutes: op.durationMinutes }, key, opts);
    case 'breakglass.revoke':
      return client.revokeBreakGlass(op.sessionId, key, opts);
    case 'request.create': {
      const { type: _type, ...body } = op;
      return client.createRequest(strip({ ...body, justification: body.justification ?? '' }), key, opts);
    }
  }
}

function strip<T extends Record<string, unknown>>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out as T;
}
