// The notification worker: woken by every commit (and once a second for retries and reminders),
// it turns new audit events and due reminders into deliveries, then sends what is due, up to
// CONCURRENCY at a time. A delivery is leased (marked, its next attempt moved a minute on) in a
// transaction before it is sent, so a crash mid-send sends it again when the server starts. Leases
// are taken and results written a batch per transaction, so one commit carries many.
import type { ServiceContext } from '../domain/context.ts';
import type { StoredChannel, StoredDelivery, StoreTx } from '../store/types.ts';
import { drainAuditLog, AUDIT_BATCH, queueDueReminders } from './sources.ts';
import { send, type Mailer } from './transports.ts';
import { SerialTask } from '../domain/serial-task.ts';

type Leased = { delivery: StoredDelivery; channel: StoredChannel | undefined };

const CONCURRENCY = 16;
/** Leased ahead of the senders, so a freed sender never waits for a transaction. */
const LEASE_BATCH = 64;
const LEASE_MS = 60_000;
const RETRY_WINDOW_MS = 24 * 3600_000;
const FIRST_RETRY_MS = 5_000;
const MAX_RETRY_MS = 3600_000;

/** 5 s, 10 s, 20 s … at most an hour, ±20 %: receivers that came back are not all hit at once. */
export function retryDelayMs(attempts: number, random: () => number = Math.random): number {
  const base = Math.min(FIRST_RETRY_MS * 2 ** Math.max(0, attempts - 1), MAX_RETRY_MS);
  return Math.round(base * (0.8 + 0.4 * random()));
}

export interface NotificationOptions {
  mailer?: Mailer;
  /** Where this server is reached (for unsubscribe links) when the org setting publicUrl is unset. */
  listenUrl: () => string;
  intervalMs?: number;
  log: { error(obj: object, msg: string): void };
}

export class NotificationService {
  readonly #ctx: ServiceContext;
  readonly #options: NotificationOptions;
  #timer: ReturnType<typeof setInterval> | undefined;
  #offCommit: (() => void) | undefined;
  readonly #cycles: SerialTask;
  #hasChannels = true;
  #closed = false;
  /** Leased, waiting for a free sender. */
  #leased: Leased[] = [];
  #leasing: Promise<void> | undefined;
  #active = 0;
  /** Finished attempts, written together in the next transaction. */
  #results: { delivery: StoredDelivery; channel: StoredChannel | undefined; error: string | undefined }[] = [];
  #flushing: Promise<void> | undefined;
  #idle: (() => void)[] = [];

  constructor(ctx: ServiceContext, options: NotificationOptions) {
    this.#ctx = ctx;
    this.#options = options;
    this.#cycles = new SerialTask(
      () => this.#run(),
      (err) => options.log.error({ err }, 'notification cycle failed'),
    );
  }

  /** Starts the worker. Leases left by a process that died mid-send are ended first: those are sent at once. */
  async start(): Promise<void> {
    await this.#ctx.store.transact((tx) => tx.releaseLeases(this.#ctx.now()));
    // With no channel there is nobody to tell at once: the timer's tick moves the cursor.
    this.#offCommit = this.#ctx.store.onCommit(() => {
      if (this.#hasChannels) this.kick();
    });
    this.#timer = setInterval(() => this.kick(), this.#options.intervalMs ?? 1000);
    this.#timer.unref();
    this.kick();
  }

  /** Runs a cycle soon; one already running runs again after it. */
  kick(): void {
    this.#cycles.kick();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#offCommit?.();
    await this.#cycles.close();
    await this.#leasing;
    // What was leased but not started stays leased: it is sent after the lease ends (a restart).
    this.#leased = [];
    if (this.#active > 0) await new Promise<void>((resolve) => this.#idle.push(resolve));
    await this.#flush();
    this.#options.mailer?.close();
  }

  async #queueOptions() {
    const [settings, secret] = await Promise.all([this.#ctx.store.settings(), this.#ctx.store.notifySecret()]);
    return { apiBase: settings.publicUrl ?? this.#options.listenUrl(), secret };
  }

  async #run(): Promise<void> {
    const store = this.#ctx.store;
    this.#hasChannels = (await store.listChannels()).length > 0;
    // Reads outside a transaction are only hints (each write re-reads inside one): they keep a
    // quiet server from taking the write lock once a second for nothing.
    if ((await store.auditHead()).seq > (await store.notifyCursor())) {
      const options = await this.#queueOptions();
      for (;;) {
        // What a commit queued is leased in the same transaction: one fsync from commit to send.
        const { events, leased } = await store.transact(async (tx) => {
          const drained = await drainAuditLog(tx, { ...options, now: this.#ctx.now() });
          return { events: drained.events, leased: drained.queued > 0 && this.#hasRoom() ? await this.#leaseIn(tx) : [] };
        });
        this.#leased.push(...leased);
        this.#startSenders();
        if (events < AUDIT_BATCH) break;
      }
    }
    const due = await store.dueReminders(this.#ctx.now());
    if (due.reminderIds.length > 0 || due.expiringIds.length > 0) await queueDueReminders(this.#ctx, due, await this.#queueOptions());
    this.#lease();
  }

  /** Leases the next batch of due deliveries when the senders are about to run dry; one lease at a time. */
  #hasRoom(): boolean {
    return !this.#closed && this.#leased.length < CONCURRENCY;
  }

  #lease(): void {
    if (this.#leasing || !this.#hasRoom()) return;
    this.#leasing = this.#leaseBatch()
      .catch((err: unknown) => this.#options.log.error({ err }, 'could not lease deliveries'))
      .finally(() => {
        this.#leasing = undefined;
        this.#startSenders();
      });
  }

  async #leaseBatch(): Promise<void> {
    const store = this.#ctx.store;
    if ((await store.dueDeliveries(this.#ctx.now(), 1)).length === 0) return;
    this.#leased.push(...(await store.transact((tx) => this.#leaseIn(tx))));
  }

  /** Leases up to LEASE_BATCH due deliveries in the caller's transaction. */
  async #leaseIn(tx: StoreTx): Promise<Leased[]> {
    const now = this.#ctx.now();
    const out: Leased[] = [];
    const channels = new Map<string, StoredChannel | undefined>();
    for (const d of await tx.dueDeliveries(now, LEASE_BATCH)) {
      // The attempt is counted when its outcome is written: the log never shows an attempt
      // without its answer.
      await tx.updateDelivery(d.id, {
        status: 'pending',
        attempts: d.attempts,
        lastError: d.lastError,
        nextAttemptAt: new Date(now.getTime() + LEASE_MS).toISOString(),
        leased: true,
      });
      if (!channels.has(d.channelId)) channels.set(d.channelId, await tx.getChannel(d.channelId));
      out.push({ delivery: d, channel: channels.get(d.channelId) });
    }
    return out;
  }

  #startSenders(): void {
    while (!this.#closed && this.#active < CONCURRENCY && this.#leased.length > 0) {
      const { delivery, channel } = this.#leased.shift()!;
      this.#active++;
      void this.#attempt(delivery, channel).finally(() => {
        this.#active--;
        if (this.#active === 0) for (const resolve of this.#idle.splice(0)) resolve();
        this.#startSenders();
        if (this.#leased.length < CONCURRENCY) this.#lease();
      });
    }
  }

  async #attempt(delivery: StoredDelivery, channel: StoredChannel | undefined): Promise<void> {
    let error: string | undefined;
    try {
      if (!channel) throw new Error('the channel was deleted');
      await send(channel, delivery, this.#ctx.now().getTime(), this.#options.mailer);
    } catch (err) {
      error = (err as Error).message || String(err);
    }
    this.#results.push({ delivery, channel, error });
    if (!this.#flushing) this.#flushing = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.#flush());
  }

  /** Writes every finished attempt in one transaction. */
  async #flush(): Promise<void> {
    const results = this.#results.splice(0);
    this.#flushing = undefined;
    if (results.length === 0) return;
    await this.#ctx.store
      .transact(async (tx) => {
        const now = this.#ctx.now();
        for (const { delivery, channel, error } of results) {
          const current = await tx.getDelivery(delivery.id);
          if (!current) continue; // deleted with its channel
          const attempts = current.attempts + 1;
          if (error === undefined) {
            await tx.updateDelivery(delivery.id, { status: 'delivered', attempts, deliveredAt: now.toISOString() });
            continue;
          }
          const next = now.getTime() + retryDelayMs(attempts);
          const giveUp = !channel || next - Date.parse(current.windowStart) > RETRY_WINDOW_MS;
          await tx.updateDelivery(delivery.id, {
            status: giveUp ? 'failed' : 'pending',
            attempts,
            lastError: error,
            ...(giveUp ? {} : { nextAttemptAt: new Date(next).toISOString() }),
          });
        }
      })
      .catch((err: unknown) => this.#options.log.error({ err, deliveries: results.map((r) => r.delivery.id) }, 'could not record delivery attempts'));
  }
}
