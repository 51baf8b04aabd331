// The number the tray and the dock badge show (requests awaiting the user's approval): listeners
// hear it only when it changes, however often something that might change it happens.
export class CountPublisher {
  readonly #compute: () => number;
  readonly #listeners = new Set<(n: number) => void>();
  #last = -1;

  constructor(compute: () => number) {
    this.#compute = compute;
  }

  current(): number {
    return this.#compute();
  }

  publish(): void {
    const n = this.#compute();
    if (n === this.#last) return;
    this.#last = n;
    for (const l of this.#listeners) l(n);
  }

  subscribe(listener: (n: number) => void): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }
}
