// Sends the outbox's queued entries whenever there is a reachable server: one drain at a time, and
// a request that arrives while one runs makes it run once more when it ends (the entry queued
// meanwhile may have missed the running pass).
import type { Outbox, OutboxClient, OutboxIdentity } from '../outbox/index.ts';

export class OutboxDrainer {
  readonly #outbox: Outbox;
  /** The client to send with and who the server confirmed it is, or undefined while signed out, offline or not yet confirmed. */
  readonly #client: () => { client: OutboxClient; identity: OutboxIdentity } | undefined;
  readonly #log: (line: string) => void;
  #running: Promise<void> | undefined;
  #again = false;

  constructor(outbox: Outbox, client: () => { client: OutboxClient; identity: OutboxIdentity } | undefined, log: (line: string) => void) {
    this.#outbox = outbox;
    this.#client = client;
    this.#log = log;
  }

  run(): void {
    const sender = this.#client();
    if (!sender) return;
    if (this.#running) return void (this.#again = true);
    this.#running = this.#outbox
      .drain(sender.client, { identity: sender.identity })
      .then((r) => {
        if (r.stoppedBy) this.#log(`outbox: ${r.remaining} left (${r.stoppedBy})`);
      })
      .catch((err: unknown) => this.#log(`outbox drain failed: ${(err as Error).message}`))
      .finally(() => {
        this.#running = undefined;
        if (this.#again) {
          this.#again = false;
          this.run();
        }
      });
  }

  /** Resolves once the drain in flight, if any, has ended. */
  async settled(): Promise<void> {
    await this.#running;
  }
}
