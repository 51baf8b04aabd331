// Encodes synced requests for the cache (JSON, then codec.ts's deflate: ~40 µs a request, a
// quarter of a large first sync's time on the core's event loop) on a worker thread, a slice at a
// time, while the core applies the slice before it. The worker starts on first use; when it cannot
// (a build without encode-worker.js beside this module) or fails, encode() answers undefined and
// the cache encodes on its own thread as it always could.
import { Worker } from 'node:worker_threads';

/** The worker's file: encode-worker.ts beside this module under tsx, encode-worker.js in the bundle (scripts/build-electron.ts). */
function workerUrl(): URL {
  return new URL(import.meta.url.endsWith('.ts') ? './encode-worker.ts' : './encode-worker.js', import.meta.url);
}

/**
 * From source (web mode, the tests) the worker registers the TypeScript loader itself: Node 20's
 * workers do not inherit the one `--import tsx` registered.
 */
function startWorker(url: URL): Worker {
  if (!url.pathname.endsWith('.ts')) return new Worker(url);
  return new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`, { eval: true });
}

export class RequestEncoder {
  readonly #url: URL;
  #worker: Worker | undefined;
  #broken = false;
  #next = 1;
  readonly #waiting = new Map<number, (blobs: Uint8Array[] | undefined) => void>();

  /** `url`: the worker's file (tests point it elsewhere). */
  constructor(url: URL = workerUrl()) {
    this.#url = url;
  }

  /** One deflated JSON blob per request, in order; undefined when the worker is not there. */
  encode(requests: readonly unknown[]): Promise<Uint8Array[] | undefined> {
    const worker = this.#start();
    if (!worker || requests.length === 0) return Promise.resolve(undefined);
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#waiting.set(id, resolve);
      try {
        worker.postMessage({ id, requests });
      } catch {
        // not cloneable (never JSON from the server): this slice is encoded on the main thread
        this.#waiting.delete(id);
        resolve(undefined);
      }
    });
  }

  async close(): Promise<void> {
    const w = this.#worker;
    this.#worker = undefined;
    this.#broken = true;
    this.#settleAll();
    await w?.terminate();
  }

  #start(): Worker | undefined {
    if (this.#worker || this.#broken) return this.#worker;
    try {
      const w = startWorker(this.#url);
      w.unref();
      w.on('message', (m: { id: number; blobs?: Uint8Array[]; error?: string }) => {
        const resolve = this.#waiting.get(m.id);
        this.#waiting.delete(m.id);
        resolve?.(m.blobs);
      });
      const fail = () => {
        this.#broken = true;
        this.#worker = undefined;
        this.#settleAll();
      };
      w.on('error', fail);
      w.on('exit', fail);
      this.#worker = w;
    } catch {
      this.#broken = true;
    }
    return this.#worker;
  }

  #settleAll(): void {
    for (const resolve of this.#waiting.values()) resolve(undefined);
    this.#waiting.clear();
  }
}
