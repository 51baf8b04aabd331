// The notification worker: woken by every commit (and once a second for retries and reminders),
// it turns new audit events and due reminders into deliveries, then sends what is due, up to
// CONCURRENCY at a time. A delivery is leased (its next attempt moved a minute on, its attempt
// counted) in a transaction before it is sent, so a crash mid-send retries it after restart.
import type { ServiceContext } from '../domain/context.ts';
import type { StoredChannel, StoredDelivery } from '../store/types.ts';
import { drainAuditLog, AUDIT_BATCH, queueDueReminders } from './sources.ts';
import { send, type Mailer } from './transports.ts';

const CONCURRENCY = 16;
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
  #cycle: Promise<void> | undefined;
  #again = false;
  #closed = false;
  readonly #sending = new Set<Promise<void>>();

  constructor(ctx: ServiceContext, options: NotificationOptions) {
    this.#ctx = ctx;
    this.#options = options;
  }

  start(): void {
    this.#offCommit = this.#ctx.store.onCommit(() => this.kick());
    this.#timer = setInterval(() => this.kick(), this.#options.intervalMs ?? 1000);
    this.#timer.unref();
    this.kick();
  }

  /** Runs a cycle soon; one already running runs again after it. */
  kick(): void {
    if (this.#closed) return;
    if (this.#cycle) {
      this.#again = true;
      return;
    }
    this.#cycle = this.#run()
      .catch((err: unknown) => this.#options.log.error({ err }, 'notification cycle failed'))
      .finally(() => {
        this.#cycle = undefined;
        if (this.#again) {
          this.#again = false;
          this.kick();
        }
      });
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#offCommit?.();
    await this.#cycle;
    await Promise.all(this.#sending);
    this.#options.mailer?.close();
  }

  async #queueOptions() {
    const [settings, secret] = await Promise.all([this.#ctx.store.settings(), this.#ctx.store.notifySecret()]);
    return { apiBase: settings.publicUrl ?? this.#options.listenUrl(), secret };
  }

  async #run(): Promise<void> {
    const store = this.#ctx.store;
    // Reads outside a transaction are only hints (each write re-reads inside one): they keep a
    // quiet server from taking the write lock once a second for nothing.
    if ((await store.auditHead()).seq > (await store.notifyCursor())) {
      const options = await this.#queueOptions();
      for (;;) {
        const { events } = await store.transact((tx) => drainAuditLog(tx, { ...options, now: this.#ctx.now() }));
        if (events < AUDIT_BATCH) break;
      }
    }
    const due = await store.dueReminders(this.#ctx.now());
    if (due.reminderIds.length > 0 || due.expiringIds.length > 0) await queueDueReminders(this.#ctx, due, await this.#queueOptions());
    if (this.#sending.size < CONCURRENCY && (await store.dueDeliveries(this.#ctx.now(), 1)).length > 0) await this.#pump();
  }

  /** Leases what is due (as many as there are free slots) and starts sending it. */
  async #pump(): Promise<void> {
    const free = CONCURRENCY - this.#sending.size;
    if (free <= 0 || this.#closed) return;
    const leased = await this.#ctx.store.transact(async (tx) => {
      const now = this.#ctx.now();
      const due = await tx.dueDeliveries(now, free);
      const out: { delivery: StoredDelivery; channel: StoredChannel | undefined }[] = [];
      for (const d of due) {
        const attempts = d.attempts + 1;
        await tx.updateDelivery(d.id, { status: 'pending', attempts, lastError: d.lastError, nextAttemptAt: new Date(now.getTime() + LEASE_MS).toISOString() });
        out.push({ delivery: { ...d, attempts }, channel: await tx.getChannel(d.channelId) });
      }
      return out;
    });
    for (const { delivery, channel } of leased) {
      const job = this.#deliver(delivery, channel).finally(() => {
        this.#sending.delete(job);
        // A freed slot takes the next due delivery at once.
        this.kick();
      });
      this.#sending.add(job);
    }
  }

  async #deliver(delivery: StoredDelivery, channel: StoredChannel | undefined): Promise<void> {
    let error: string | undefined;
    try {
      if (!channel) throw new Error('the channel was deleted');
      await send(channel, delivery, this.#ctx.now().getTime(), this.#options.mailer);
    } catch (err) {
      error = (err as Error).message || String(err);
    }
    await this.#ctx.store
      .transact(async (tx) => {
        const now = this.#ctx.now();
        const current = await tx.getDelivery(delivery.id);
        // Deleted with its channel, or redelivered meanwhile: the newer state stands.
        if (!current || current.attempts !== delivery.attempts) return;
        if (error === undefined) {
          await tx.updateDelivery(delivery.id, { status: 'delivered', attempts: delivery.attempts, deliveredAt: now.toISOString() });
          return;
        }
        const next = now.getTime() + retryDelayMs(delivery.attempts);
        const giveUp = !channel || next - Date.parse(current.windowStart) > RETRY_WINDOW_MS;
        await tx.updateDelivery(delivery.id, {
          status: giveUp ? 'failed' : 'pending',
          attempts: delivery.attempts,
          lastError: error,
          ...(giveUp ? {} : { nextAttemptAt: new Date(next).toISOString() }),
        });
      })
      .catch((err: unknown) => this.#options.log.error({ err, delivery: delivery.id }, 'could not record a delivery attempt'));
  }
}
