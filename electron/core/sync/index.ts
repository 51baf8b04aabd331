// The sync engine: keeps a SyncStore up to date with the server.
// Per connection: open GET /api/events (SSE over fetch streaming, bearer header); the server's
// first frame carries its current cursor — if that is BEHIND the store's, the server's data was
// reset, so the store is reset and bootstrapped again. Then catch up through /api/sync pages
// (status `syncing` with progress), go `online`, and pull a delta on every change event whose
// cursor is past the store's (one pull at a time; events during a pull cause one more). When the
// stream ends or fails (or a pull fails, or no byte — not even a heartbeat — arrives for
// `heartbeatTimeoutMs`), status goes `offline` and it reconnects with exponential backoff + jitter
// (capped, default 30 s), resuming from the store's cursor; when the server refused with a
// Retry-After (429, or 503 while it paces a reconnect storm), it waits that long instead, plus up
// to a second of jitter. stop() closes everything.
import type { SyncChange } from '../../../shared/schemas/index.ts';
import type { ConnectionStatus, SyncStore } from '../contracts.ts';
import { backoffDelay, retryAfterDelay, toApiError, toNetworkError, type BackendClient } from '../client/index.ts';
import { ApiError, NetworkError, describeError } from '../client/errors.ts';
import { serverUrlProblem } from '../../../shared/transport.ts';
import { sseReader } from './sse.ts';
import { systemClock, type Clock } from '../../../shared/clock.ts';

export { sseReader, type SseEvent } from './sse.ts';
export { MemorySyncStore } from './memory-store.ts';

export interface ChangesInfo {
  /** The store's cursor after this page. */
  cursor: number;
  /** True while bootstrapping an empty store (a notifier should stay quiet). */
  bootstrap: boolean;
}

export interface SyncEngineOptions {
  client: Pick<BackendClient, 'sync'>;
  store: SyncStore;
  baseUrl: string;
  token: () => string | undefined;
  /** Plain http to a host that is not this machine: the stream is refused unless true. */
  allowInsecureHttp?: boolean;
  onStatus?: (status: ConnectionStatus) => void;
  /** After each applied /api/sync page that had changes. */
  onChanges?: (changes: readonly SyncChange[], info: ChangesInfo) => void;
  /** For the event stream (tests); defaults to the global fetch. */
  fetch?: typeof fetch;
  /** /api/sync page size (default 1000). */
  pageSize?: number;
  /** Changes applied in one go before the event loop gets a turn (default APPLY_SLICE). */
  applySlice?: number;
  reconnect?: { baseMs?: number; maxMs?: number };
  /** No byte on the stream for this long: it is dead (default 45000; the server beats every 15 s). */
  heartbeatTimeoutMs?: number;
  random?: () => number;
  /** Stamps `lastSyncedAt`. */
  now?: Clock;
}

/** ~25 ms of applying on a 2-core laptop: the longest a call from the console waits behind a sync. */
const APPLY_SLICE = 250;
/** Slices smaller than this are applied without asking the store to prepare them first. */
const PREPARE_MIN = 100;

class StreamClosed extends Error {}

export class SyncEngine {
  readonly #o: SyncEngineOptions;
  readonly #fetch: typeof fetch;
  #status: ConnectionStatus = { state: 'offline' };
  #started = false;
  #stopped = false;
  #loop: Promise<void> | undefined;
  #conn: AbortController | undefined;
  #sleepTimer: NodeJS.Timeout | undefined;
  #sleepWake: (() => void) | undefined;
  #watchdog: NodeJS.Timeout | undefined;
  #pulling: Promise<void> | undefined;
  #pullAgain = false;
  #serverCursor = 0;
  #lastSyncedAt: string | undefined;
  #firstOutcome: (() => void) | undefined;
  /** Counters for tests and diagnostics. */
  readonly stats = { connects: 0, pulls: 0, resets: 0, events: 0, lastDelayMs: 0 };

  constructor(options: SyncEngineOptions) {
    this.#o = options;
    this.#fetch = options.fetch ?? fetch;
  }

  get status(): ConnectionStatus {
    return { ...this.#status };
  }

  /**
   * Starts syncing in the background. Resolves once the first connection either caught up
   * (online) or failed (offline; it keeps retrying). Never rejects.
   */
  start(): Promise<void> {
    if (this.#started) return Promise.resolve();
    this.#started = true;
    const first = new Promise<void>((r) => (this.#firstOutcome = r));
    this.#loop = this.#run();
    return first;
  }

  /** Closes the stream, cancels pulls and timers; resolves when nothing is left running. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#conn?.abort();
    if (this.#sleepTimer) clearTimeout(this.#sleepTimer);
    this.#sleepWake?.();
    this.#clearWatchdog();
    await this.#loop;
    await this.#pulling?.catch(() => undefined);
    this.#firstOutcome?.();
  }

  /** Reconnects now instead of waiting out the backoff (e.g. the OS says the network is back). */
  reconnectNow(): void {
    if (this.#sleepTimer) clearTimeout(this.#sleepTimer);
    this.#sleepWake?.();
  }

  #setStatus(s: ConnectionStatus): void {
    this.#status = { ...s, ...(this.#lastSyncedAt ? { lastSyncedAt: this.#lastSyncedAt } : {}) };
    try {
      this.#o.onStatus?.({ ...this.#status });
    } catch {
      // a listener's bug must not stop sync
    }
    if (s.state !== 'syncing' && this.#firstOutcome) {
      this.#firstOutcome();
      this.#firstOutcome = undefined;
    }
  }

  async #run(): Promise<void> {
    let failures = 0;
    while (!this.#stopped) {
      const ctrl = new AbortController();
      this.#conn = ctrl;
      let reason: unknown;
      let wasOnline = false;
      try {
        await this.#connectOnce(ctrl, () => (wasOnline = true));
        reason = new StreamClosed('event stream closed by the server');
      } catch (err) {
        reason = err;
      }
      ctrl.abort();
      this.#clearWatchdog();
      this.#conn = undefined;
      await this.#pulling?.catch(() => undefined);
      if (this.#stopped) break;
      if (wasOnline) failures = 0;
      this.#setStatus({ state: 'offline', error: describeError(reason instanceof Error && reason.name === 'AbortError' ? 'connection lost' : reason) });
      const base = this.#o.reconnect?.baseMs ?? 500;
      const max = this.#o.reconnect?.maxMs ?? 30_000;
      const retryAfter = reason instanceof ApiError ? reason.retryAfterMs : undefined;
      const delay = retryAfter !== undefined ? retryAfterDelay(retryAfter, this.#o.random) : backoffDelay(failures++, base, max, this.#o.random);
      this.stats.lastDelayMs = delay;
      await this.#sleep(delay);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((r) => {
      this.#sleepWake = () => {
        this.#sleepWake = undefined;
        r();
      };
      this.#sleepTimer = setTimeout(() => {
        this.#sleepTimer = undefined;
        this.#sleepWake?.();
      }, ms);
    });
  }

  #armWatchdog(ctrl: AbortController): void {
    this.#clearWatchdog();
    const ms = this.#o.heartbeatTimeoutMs ?? 45_000;
    this.#watchdog = setTimeout(() => ctrl.abort(new Error(`no event or heartbeat for ${Math.round(ms / 1000)} s`)), ms);
  }

  #clearWatchdog(): void {
    if (this.#watchdog) clearTimeout(this.#watchdog);
    this.#watchdog = undefined;
  }

  /** One connection: resolves when the server ends the stream, rejects on any failure. */
  async #connectOnce(ctrl: AbortController, markOnline: () => void): Promise<void> {
    this.stats.connects++;
    const token = this.#o.token();
    const url = new URL('api/events', `${this.#o.baseUrl.replace(/\/+$/, '')}/`);
    const insecure = serverUrlProblem(this.#o.baseUrl, { allowInsecureHttp: this.#o.allowInsecureHttp === true });
    if (insecure) throw new NetworkError('offline', insecure);
    let res: Response;
    try {
      res = await this.#fetch(url, {
        headers: { accept: 'text/event-stream', ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}) },
        signal: ctrl.signal,
      });
    } catch (err) {
      throw toNetworkError(err);
    }
    if (!res.ok) throw await toApiError(res);
    if (!res.body) throw new Error('event stream has no body');
    this.#armWatchdog(ctrl);
    const readEvents = sseReader();
    const decoder = new TextDecoder();
    let first = true;
    const reader = res.body.getReader();
    const onAbort = () => void reader.cancel().catch(() => undefined);
    ctrl.signal.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (err) {
          if (ctrl.signal.aborted) throw ctrl.signal.reason ?? err;
          throw toNetworkError(err);
        }
        if (ctrl.signal.aborted) throw ctrl.signal.reason;
        if (chunk.done) return;
        this.#armWatchdog(ctrl);
        for (const ev of readEvents(decoder.decode(chunk.value, { stream: true }))) {
          if (ev.event !== 'change') continue;
          let cursor: number;
          try {
            cursor = Number((JSON.parse(ev.data) as { cursor: unknown }).cursor);
          } catch {
            continue;
          }
          if (!Number.isSafeInteger(cursor) || cursor < 0) continue;
          this.stats.events++;
          if (first) {
            first = false;
            this.#serverCursor = cursor;
            if (cursor < this.#o.store.cursor()) {
              // the server's data is older than ours: it was reset or replaced
              this.#o.store.reset();
              this.stats.resets++;
            }
            this.#pull(ctrl, true, markOnline);
          } else {
            this.#serverCursor = Math.max(this.#serverCursor, cursor);
            if (cursor > this.#o.store.cursor()) this.#pull(ctrl, false, markOnline);
          }
        }
      }
    } finally {
      ctrl.signal.removeEventListener('abort', onAbort);
    }
  }

  /**
   * The store's preparation of a slice; a failed one only means the store does the work while
   * applying. A small page — a live change — is applied the moment it arrives, as before: waiting
   * on the worker would widen the window in which a page fetched before a handler's own write is
   * applied after it and puts the older state back.
   */
  #prepare(changes: readonly SyncChange[]): Promise<void> | undefined {
    if (changes.length < PREPARE_MIN) return undefined;
    return this.#o.store.prepare?.(changes).catch(() => undefined);
  }

  /** Starts a pull unless one runs (then it runs once more after). A failure aborts the connection. */
  #pull(ctrl: AbortController, catchUp: boolean, markOnline: () => void): void {
    if (this.#pulling) {
      this.#pullAgain = true;
      return;
    }
    this.#pulling = (async () => {
      try {
        let catching = catchUp;
        do {
          this.#pullAgain = false;
          await this.#pullAll(ctrl.signal, catching);
          catching = false;
        } while (this.#pullAgain && !ctrl.signal.aborted && this.#serverCursor > this.#o.store.cursor());
        if (ctrl.signal.aborted) return;
        this.#lastSyncedAt = (this.#o.now ?? systemClock)().toISOString();
        markOnline();
        this.#setStatus({ state: 'online' });
      } catch (err) {
        if (!ctrl.signal.aborted) ctrl.abort(err instanceof Error ? err : new Error(String(err)));
      } finally {
        this.#pulling = undefined;
      }
    })();
  }

  /**
   * Pulls /api/sync pages from the store's cursor until hasMore is false. While one page is
   * applied the next is already on its way, and a page is applied in slices with a turn of the
   * event loop between them: a large catch-up neither waits on the network between pages nor
   * keeps the console's calls waiting behind a whole page. The store's cursor moves with a page's
   * last slice only, so a pull cut short between slices starts that page again (changes are
   * whole entity states: applying one twice changes nothing).
   */
  async #pullAll(signal: AbortSignal, catchUp: boolean): Promise<void> {
    const store = this.#o.store;
    const bootstrap = store.cursor() === 0;
    const pageSize = this.#o.pageSize ?? 1000;
    const slice = this.#o.applySlice ?? APPLY_SLICE;
    let done = 0;
    if (catchUp) this.#setStatus({ state: 'syncing', progress: { done } });
    let ahead: { from: number; page: ReturnType<BackendClient['sync']> } | undefined;
    for (;;) {
      const from = store.cursor();
      const fetched = ahead?.from === from ? ahead.page : this.#o.client.sync(from, pageSize, { signal });
      ahead = undefined;
      const page = await fetched;
      if (signal.aborted) return;
      this.stats.pulls++;
      // Another server (or the same address with a new database) answers: ours is someone
      // else's data, whatever the cursors say. Start over from its beginning.
      if (page.serverId !== undefined && page.serverId !== store.serverId()) {
        if (store.serverId() !== undefined) {
          store.reset();
          this.stats.resets++;
          if (from !== 0) continue;
        }
        store.setServerId(page.serverId);
      }
      if (page.hasMore) {
        ahead = { from: page.cursor, page: this.#o.client.sync(page.cursor, pageSize, { signal }) };
        ahead.page.catch(() => undefined); // awaited next time round, or dropped with the pull
      }
      if (page.changes.length > 0 || page.cursor !== from) {
        const parts: (readonly SyncChange[])[] = [];
        for (let at = 0; at === 0 || at < page.changes.length; at += slice)
          parts.push(page.changes.length <= slice ? page.changes : page.changes.slice(at, at + slice));
        // Each slice is prepared (off the event loop) while the one before it is applied.
        let prepared = this.#prepare(parts[0]!);
        for (let i = 0; i < parts.length; i++) {
          if (prepared) await prepared;
          if (signal.aborted) return;
          const last = i === parts.length - 1;
          if (!last) prepared = this.#prepare(parts[i + 1]!);
          store.applyChanges(parts[i]!, last ? page.cursor : from, { more: !last || page.hasMore });
          if (last) break;
          await new Promise<void>((r) => setImmediate(r));
          if (signal.aborted) return;
        }
      }
      done += page.changes.length;
      if (page.changes.length > 0) {
        try {
          this.#o.onChanges?.(page.changes, { cursor: page.cursor, bootstrap });
        } catch {
          // a listener's bug must not stop sync
        }
      }
      if (catchUp) this.#setStatus({ state: 'syncing', progress: { done } });
      if (!page.hasMore) return;
    }
  }
}
