// The one door to the desktop core. In Electron the preload puts the typed API on
// `window.gatehouse`; in web mode the same contract travels over a WebSocket to the host
// (electron/core/web/host.ts). Components and state classes call `call()` / `on()` from here only.
import type { ChannelName, EventName, GatehouseApi, Input, Output, Payload } from '../../../shared/ipc.ts';
import type { IpcResult } from '../../../shared/ipc/define.ts';

declare global {
  interface Window {
    gatehouse?: GatehouseApi;
  }
}

/** A failed call: the core's error code (`offline`, `not_found`, `invalid_input`, …) and message. */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number | undefined;
  constructor(code: string, message: string, status?: number) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
  }
}

// ---- web mode: the socket transport ---------------------------------------------------------

const SECRET_KEY = 'gatehouse.secret';
const SECRET_PROTOCOL_PREFIX = 'gatehouse-secret.';

const SESSION_PATH = '/session';
const SECRET_HEADER = 'x-gatehouse-secret';
const NO_ACCESS = 'open Gatehouse with the address web mode printed (it carries the access secret)';

/**
 * Web mode opens `#<secret>`; routes are `#/…`. Take the secret out of the address (so it is not
 * shown, bookmarked or pasted) and keep it for this tab only, so a reload still connects; and
 * trade it with the host for an HttpOnly session cookie, so a link to a request opened in another
 * tab of this browser connects without the secret (electron/core/web/host.ts, docs/desktop-security.md).
 */
function takeSecret(): string | undefined {
  const hash = location.hash.slice(1);
  if (hash !== '' && !hash.startsWith('/')) {
    sessionStorage.setItem(SECRET_KEY, hash);
    history.replaceState(null, '', `${location.pathname}${location.search}#/inbox`);
    void fetch(SESSION_PATH, { method: 'POST', headers: { [SECRET_HEADER]: hash }, credentials: 'same-origin', cache: 'no-store' }).catch(() => undefined);
    return hash;
  }
  return sessionStorage.getItem(SECRET_KEY) ?? undefined;
}

type Listener = (payload: unknown) => void;
interface Pending {
  resolve: (r: IpcResult<unknown>) => void;
}

/** The contract over a WebSocket that reconnects with backoff; calls made while down wait for it. */
class SocketTransport implements GatehouseApi {
  #secret: string | undefined;
  #socket: WebSocket | undefined;
  #open = false;
  #nextId = 1;
  #pending = new Map<number, Pending>();
  #queue: string[] = [];
  #listeners = new Map<string, Set<Listener>>();
  #backoff = 250;
  #linkListeners = new Set<(up: boolean) => void>();

  constructor(secret: string | undefined) {
    this.#secret = secret;
    this.#connect();
  }

  /** Without the secret the session cookie is all this tab has: once refused, calls fail at once. */
  #refused = false;

  #connect(): void {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ipc`;
    const socket = new WebSocket(url, this.#secret ? ['gatehouse', SECRET_PROTOCOL_PREFIX + this.#secret] : ['gatehouse']);
    this.#socket = socket;
    socket.addEventListener('open', () => {
      this.#open = true;
      this.#refused = false;
      this.#backoff = 250;
      for (const l of this.#linkListeners) l(true);
      for (const msg of this.#queue.splice(0)) socket.send(msg);
    });
    socket.addEventListener('message', (e) => this.#receive(String(e.data)));
    socket.addEventListener('close', () => {
      const wasOpen = this.#open;
      this.#open = false;
      if (wasOpen) for (const l of this.#linkListeners) l(false);
      if (!wasOpen && !this.#secret) {
        // No cookie (or a stale one): nothing will let this tab in, so say how to get in.
        this.#refused = true;
        for (const msg of this.#queue.splice(0)) {
          const id = (JSON.parse(msg) as { id: number }).id;
          this.#pending.get(id)?.resolve({ ok: false, error: { code: 'no_secret', message: NO_ACCESS } });
          this.#pending.delete(id);
        }
      }
      // Calls in flight are lost with the socket: answer them instead of hanging.
      for (const [id, p] of this.#pending) {
        this.#pending.delete(id);
        p.resolve({ ok: false, error: { code: 'disconnected', message: 'the connection to Gatehouse was lost' } });
      }
      setTimeout(() => this.#connect(), this.#backoff);
      this.#backoff = Math.min(this.#backoff * 2, 5000);
    });
  }

  #receive(raw: string): void {
    let msg: { id?: unknown; result?: IpcResult<unknown>; event?: unknown; payload?: unknown };
    try {
      msg = JSON.parse(raw) as typeof msg;
    } catch {
      return;
    }
    if (typeof msg.event === 'string') {
      for (const l of this.#listeners.get(msg.event) ?? []) l(msg.payload);
      return;
    }
    if (typeof msg.id === 'number' && msg.result) {
      const p = this.#pending.get(msg.id);
      this.#pending.delete(msg.id);
      p?.resolve(msg.result);
    }
  }

  /** The socket itself coming and going (not the backend's reachability). */
  onLink(listener: (up: boolean) => void): () => void {
    this.#linkListeners.add(listener);
    return () => void this.#linkListeners.delete(listener);
  }

  invoke<K extends ChannelName>(channel: K, input: Input<K>): Promise<IpcResult<Output<K>>> {
    if (this.#refused) return Promise.resolve({ ok: false, error: { code: 'no_secret', message: NO_ACCESS } });
    const id = this.#nextId++;
    const msg = JSON.stringify({ id, channel, input });
    return new Promise((resolve) => {
      this.#pending.set(id, { resolve: resolve as (r: IpcResult<unknown>) => void });
      if (this.#open && this.#socket) this.#socket.send(msg);
      else this.#queue.push(msg);
    });
  }

  on<K extends EventName>(event: K, listener: (payload: Payload<K>) => void): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    const l = listener as Listener;
    set.add(l);
    return () => void set.delete(l);
  }
}

// ---- the API --------------------------------------------------------------------------------

const socket = typeof window !== 'undefined' && !window.gatehouse ? new SocketTransport(takeSecret()) : undefined;
const transport: GatehouseApi = (typeof window !== 'undefined' && window.gatehouse) || socket!;

/** `desktop` inside Electron, `web` in a browser tab. */
export const shell: 'desktop' | 'web' = socket ? 'web' : 'desktop';

/** Calls a contract channel; resolves to its data or throws an `ApiError`. */
export async function call<K extends ChannelName>(channel: K, input: Input<K>): Promise<Output<K>> {
  const result = await transport.invoke(channel, input);
  if (result.ok) return result.data;
  throw new ApiError(result.error.code, result.error.message, result.error.status);
}

/** Subscribes to a pushed event; returns the unsubscribe. */
export function on<K extends EventName>(event: K, listener: (payload: Payload<K>) => void): () => void {
  return transport.on(event, listener);
}

/** Web mode only: the socket to the local host went down or came back (e.g. the host stopped). */
export function onLink(listener: (up: boolean) => void): () => void {
  return socket ? socket.onLink(listener) : () => undefined;
}

export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  return err instanceof Error ? err.message : String(err);
}
