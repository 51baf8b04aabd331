// A background task that runs one cycle at a time: woken while a cycle runs, it runs once more
// after it, so no wake-up is lost and no two cycles overlap (the notifier, the GitHub gate).
export class SerialTask {
  readonly #task: () => Promise<void>;
  readonly #onError: (err: unknown) => void;
  #cycle: Promise<void> | undefined;
  #again = false;
  #closed = false;

  constructor(task: () => Promise<void>, onError: (err: unknown) => void) {
    this.#task = task;
    this.#onError = onError;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Runs a cycle soon; one already running runs again after it. */
  kick(): void {
    if (this.#closed) return;
    if (this.#cycle) {
      this.#again = true;
      return;
    }
    this.#cycle = this.#task()
      .catch(this.#onError)
      .finally(() => {
        this.#cycle = undefined;
        if (this.#again) {
          this.#again = false;
          this.kick();
        }
      });
  }

  /** No more cycles; waits for the one running. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#cycle;
  }
}
