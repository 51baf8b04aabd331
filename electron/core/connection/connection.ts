// The connection to one Gatehouse server: its client and sync engine, its status, and who the
// signed-in user is. Everything that needs the server asks here (online() throws the contract's
// signed_out / offline errors); coming online drains the outbox, prefetches diffs and identifies
// the user.
import type { Clock } from '../../../shared/clock.ts';
import type { EventName, Payload } from '../../../shared/ipc.ts';
import type { SyncChange, User } from '../../../shared/schemas/index.ts';
import type { Cache } from '../cache/index.ts';
import { createBackendClient, type BackendClient } from '../client/index.ts';
import type { ApplyOptions, ConnectionStatus, SyncStore } from '../contracts.ts';
import type { EmbeddedBackend } from '../embedded-backend-child.ts';
import { CoreError } from '../ipc/dispatch.ts';
import type { Notifier } from '../notify/index.ts';
import type { Outbox, OutboxIdentity, OutboxOwner } from '../outbox/index.ts';
import { SyncEngine } from '../sync/index.ts';
import { ChangeAnnouncer } from './announcer.ts';
import { DiffPrefetcher } from './diff-prefetch.ts';
import { OutboxDrainer } from './outbox-drain.ts';
import { readSessionFile, writeSessionFile } from './session-file.ts';

export interface ConnectionOptions {
  /** session.json's path. */
  sessionFile: string;
  cache: Cache;
  outbox: Outbox;
  notifier: Pick<Notifier, 'observe'>;
  /** The diff-prefetch setting, read whenever it matters. */
  prefetchDiffs: () => boolean;
  emit: <K extends EventName>(event: K, payload: Payload<K>) => void;
  /** The signed-in user or the pending requests changed: the approvable count may have. */
  onCountMayChange: () => void;
  /** --allow-insecure-http: plain http to a host that is not this machine. */
  allowInsecureHttp: boolean;
  clock: Clock;
  log: (line: string) => void;
}

interface Connected {
  url: string;
  client: BackendClient;
  sync: SyncEngine;
  embedded?: EmbeddedBackend;
}

/** While a sync catches up, the console hears of it this often (announcer.ts). */
const ANNOUNCE_CATCH_UP_MS = 500;

export class Connection {
  readonly #o: ConnectionOptions;
  readonly #drainer: OutboxDrainer;
  readonly #prefetcher: DiffPrefetcher;
  readonly #store: SyncStore;
  #current: Connected | undefined;
  #status: ConnectionStatus = { state: 'offline' };
  #me: User | undefined;
  /** The user id the server confirmed for the current connection's token (GET /api/me), if it has yet. */
  #verified: string | undefined;
  /** The sync in progress is a first load (or a rebuild): it must not raise a notification per request. */
  #initialLoad = false;
  readonly #announcer = new ChangeAnnouncer((entities) => this.#o.emit('cache.changed', { entities, cursor: this.#o.cache.cursor() }), ANNOUNCE_CATCH_UP_MS);

  constructor(options: ConnectionOptions) {
    this.#o = options;
    this.#drainer = new OutboxDrainer(
      options.outbox,
      () => {
        const client = this.reachable();
        const identity = this.identity();
        return client && identity ? { client, identity } : undefined;
      },
      options.log,
    );
    this.#prefetcher = new DiffPrefetcher({
      cache: options.cache,
      enabled: options.prefetchDiffs,
      client: () => (this.#current && this.#status.state === 'online' ? this.#current.client : undefined),
      log: options.log,
    });
    this.#store = this.#syncStore();
  }

  get status(): ConnectionStatus {
    return this.#status;
  }

  /** The signed-in user as last known (from the server, or the cache while offline). */
  get me(): User | undefined {
    return this.#me;
  }

  /** The server's URL while connected (online or not). */
  get url(): string | undefined {
    return this.#current?.url;
  }

  /** The client, for a call that needs the server now. */
  online(): BackendClient {
    if (!this.#current) throw new CoreError('signed_out', 'sign in to a Gatehouse server first');
    if (this.#status.state === 'offline') throw new CoreError('offline', 'this needs the server, which is not reachable right now');
    return this.#current.client;
  }

  /** The client if connected and not offline, else undefined. */
  reachable(): BackendClient | undefined {
    return this.#current && this.#status.state !== 'offline' ? this.#current.client : undefined;
  }

  /**
   * Who the current token is, as the server confirmed it, and which server: what the outbox sends
   * as. Undefined until the server has answered GET /api/me for this connection (the user known
   * from the cache is a guess that may belong to another token).
   */
  identity(): OutboxIdentity | undefined {
    if (!this.#current || this.#verified === undefined) return undefined;
    const serverId = this.#o.cache.serverId();
    return { userId: this.#verified, serverUrl: this.#current.url, ...(serverId ? { serverId } : {}) };
  }

  /** Whom a decision queued now belongs to: the signed-in user (known offline from the cache) and this server. */
  owner(): OutboxOwner {
    if (!this.#current) throw new CoreError('signed_out', 'sign in to a Gatehouse server first');
    if (!this.#me) throw new CoreError('signed_out', 'not signed in (or the server has not said who you are yet): nothing can be queued');
    const serverId = this.#o.cache.serverId();
    return { userId: this.#me.id, userEmail: this.#me.email, serverUrl: this.#current.url, ...(serverId ? { serverId } : {}) };
  }

  whoAmI(): User {
    if (!this.#me) throw new CoreError('signed_out', 'not signed in (or the server has not said who you are yet)');
    return this.#me;
  }

  /** Sends what the outbox holds, if the server is reachable. */
  drainOutbox(): void {
    this.#drainer.run();
  }

  /** Connects to `url` and starts syncing; resolves once the server has said who the user is (or failed to). */
  async connect(url: string, token: string, embedded?: EmbeddedBackend): Promise<void> {
    const { cache, clock, sessionFile } = this.#o;
    const { allowInsecureHttp } = this.#o;
    const client = createBackendClient({ baseUrl: url, token: () => token, allowInsecureHttp });
    const previous = readSessionFile(sessionFile);
    if (previous && previous.serverUrl !== url) cache.reset();
    if (previous?.serverUrl === url) this.#me = cache.get('user', previous.userId) ?? this.#me;
    this.#initialLoad = cache.cursor() === 0;
    this.#verified = undefined;
    const sync = new SyncEngine({
      client,
      store: this.#store,
      baseUrl: url,
      token: () => token,
      allowInsecureHttp,
      now: clock,
      onStatus: (s) => {
        this.#status = s;
        if (s.state === 'online') this.#initialLoad = false;
        this.#o.emit('connection.status', s);
        if (s.state === 'online') {
          this.#prefetcher.schedule();
          // The outbox sends only as the user the server confirmed for this token.
          if (this.#verified === undefined) void this.#identify(client, url).then(() => this.#drainer.run());
          else this.#drainer.run();
        }
      },
    });
    this.#current = { url, client, sync, ...(embedded ? { embedded } : {}) };
    await this.#identify(client, url);
    void sync.start();
  }

  /** Stops syncing, lets a running drain end, closes an embedded backend. The user stays known. */
  async disconnect(): Promise<void> {
    const c = this.#current;
    this.#current = undefined;
    this.#verified = undefined;
    this.#status = { state: 'offline' };
    if (!c) return;
    await c.sync.stop();
    await this.#drainer.settled();
    await c.embedded?.close();
  }

  /** After sign-out: nobody is signed in any more. */
  forgetUser(): void {
    this.#me = undefined;
  }

  async close(): Promise<void> {
    this.#prefetcher.cancel();
    this.#announcer.stop();
    await this.disconnect();
  }

  async #identify(client: BackendClient, url: string): Promise<void> {
    try {
      const me = await client.me();
      if (this.#current?.client !== client) return; // signed in elsewhere meanwhile
      this.#me = me;
      this.#verified = me.id;
      await writeSessionFile(this.#o.sessionFile, { serverUrl: url, userId: this.#me.id });
      this.#o.onCountMayChange();
    } catch (err) {
      this.#o.log(`could not identify the signed-in user: ${(err as Error).message}`);
    }
  }

  /** What the sync engine writes through: the notifier sees each page against the state before it. */
  #syncStore(): SyncStore {
    const { cache, notifier } = this.#o;
    return {
      cursor: () => cache.cursor(),
      serverId: () => cache.serverId(),
      setServerId: (id) => cache.setServerId(id),
      reset: () => {
        this.#initialLoad = true; // what follows is a fresh bootstrap
        cache.reset();
      },
      prepare: (changes) => cache.prepare(changes),
      applyChanges: (changes: readonly SyncChange[], cursor: number, options?: ApplyOptions) => {
        notifier.observe(changes, (entity, id) => cache.get(entity, id), { bootstrapping: this.#initialLoad });
        cache.applyChanges(changes, cursor, options);
        for (const c of changes) if (c.entity === 'user' && c.id === this.#me?.id && c.op === 'upsert') this.#me = c.data as User;
        this.#announcer.changed(
          changes.map((c) => c.entity),
          options?.more === true,
        );
        // Counting and downloading diffs wait for the last page of a catch-up: each page would
        // otherwise count every pending request again and compete with the sync for the disk.
        if (options?.more) return;
        this.#o.onCountMayChange();
        this.#prefetcher.schedule();
      },
    };
  }
}
