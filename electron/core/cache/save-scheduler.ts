// When the cache file is written: writes within saveDelayMs are coalesced into one save; a write
// that lands while a save runs gets its own save after it; a failed save keeps everything in
// memory and is retried after retryDelayMs. Read times alone (touched) never cause a save but ride
// along with the next one. Changes that can be had again from the server — a sync catching up
// page after page, a downloaded diff — are deferred: saved with the next prompt save or after
// deferredDelayMs at the latest. Each save exports the whole database; one per sync page or per
// prefetched diff would keep a large cache writing files the next change makes stale.
import { writeFileAtomic, type AtomicWriteIo } from '../atomic-write.ts';
import { sealOf } from './file-format.ts';

export interface SaveInfo {
  /** Size of the file written. */
  bytes: number;
  /** export() + write + fsync + rename + directory fsync. */
  ms: number;
}

export interface SaveSchedulerOptions {
  file: string;
  saveDelayMs: number;
  /** How long a deferred change may put off the save, at most. */
  deferredDelayMs: number;
  retryDelayMs: number;
  io: AtomicWriteIo;
  /** The database image to write, taken when the save starts; `explicit` for a flush or close. */
  image: (explicit: boolean) => Uint8Array;
  onError?: ((err: Error) => void) | undefined;
  onSave?: ((info: SaveInfo) => void) | undefined;
}

function errorOf(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

export class SaveScheduler {
  readonly #o: SaveSchedulerOptions;
  #dirty = false;
  #touched = false;
  #timer: NodeJS.Timeout | undefined;
  /** When the scheduled save runs (performance.now()). */
  #due = 0;
  /** Every unsaved change is a deferred one. */
  #deferred = false;
  #saving: Promise<void> | undefined;
  #lastSaveFailed = false;
  #closed = false;

  constructor(options: SaveSchedulerOptions) {
    this.#o = options;
  }

  /** Is there state in memory not yet saved? */
  isDirty(): boolean {
    return this.#dirty || this.#touched;
  }

  /** Something changed: save soon. */
  markDirty(): void {
    this.#dirty = true;
    this.#deferred = false;
    this.#schedule(this.#o.saveDelayMs);
  }

  /** A change the server can give again (a sync page with more to follow, a downloaded diff): save within deferredDelayMs. */
  markDirtyDeferred(): void {
    const wasDirty = this.#dirty;
    this.#dirty = true;
    // An earlier change still waiting to be saved keeps its (sooner) save.
    if (!wasDirty || this.#deferred) this.#deferred = true;
    this.#schedule(this.#deferred ? this.#o.deferredDelayMs : this.#o.saveDelayMs);
  }

  /** Something changed that can wait for the next save or flush. */
  markDirtyLater(): void {
    this.#dirty = true;
  }

  /** Only read times changed. */
  markTouched(): void {
    this.#touched = true;
  }

  /** Saves now if anything changed (waits for a save in flight first). Rejects if the save fails. */
  async flush(): Promise<void> {
    if (this.#saving) await this.#saving.catch(() => undefined);
    this.#clearTimer();
    if ((this.#dirty || this.#touched) && !this.#closed) await this.#startSave(true);
  }

  /** Flushes, then stops for good. Rejects with the final save's failure (after stopping). */
  async close(): Promise<void> {
    let failure: unknown;
    try {
      await this.flush();
    } catch (err) {
      failure = err;
    }
    this.#closed = true;
    this.#clearTimer();
    if (failure) throw failure;
  }

  /** Schedules the save in `delay` ms, unless one is due sooner (a save in flight reschedules when done). */
  #schedule(delay: number): void {
    if (this.#saving || this.#closed) return;
    const due = performance.now() + delay;
    if (this.#timer) {
      if (this.#due <= due) return;
      clearTimeout(this.#timer);
    }
    this.#due = due;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#startSave().catch((err: unknown) => this.#o.onError?.(errorOf(err)));
    }, delay);
    this.#timer.unref();
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #startSave(explicit = false): Promise<void> {
    const p = this.#saveOnce(explicit)
      .then(
        () => {
          this.#lastSaveFailed = false;
        },
        (err: unknown) => {
          this.#dirty = true; // nothing was lost in memory; the old file is intact
          this.#lastSaveFailed = true;
          throw err;
        },
      )
      .finally(() => {
        this.#saving = undefined;
        if (this.#dirty) this.#schedule(this.#lastSaveFailed ? this.#o.retryDelayMs : this.#deferred ? this.#o.deferredDelayMs : this.#o.saveDelayMs);
      });
    this.#saving = p;
    return p;
  }

  async #saveOnce(explicit: boolean): Promise<void> {
    const t0 = performance.now();
    // Writes that land while the file is being written set dirty again and get their own save.
    this.#dirty = false;
    this.#touched = false;
    this.#deferred = false;
    const data = this.#o.image(explicit);
    const seal = sealOf(data);
    await writeFileAtomic(this.#o.file, [data, seal], { io: this.#o.io });
    this.#o.onSave?.({ bytes: data.byteLength + seal.byteLength, ms: performance.now() - t0 });
  }
}
