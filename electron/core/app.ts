// The desktop core's composition: settings, cache, outbox, sync engine, notifier and preview,
// wired together and exposed as the IPC contract's handlers. Electron's main and web mode both
// build one of these and inject what only they have (notifications, secret store, data dir).
import { randomUUID } from 'node:crypto';
import { systemClock, type Clock } from '../../shared/clock.ts';
import { serverUrlProblem } from '../../shared/transport.ts';
import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canApprove, evaluateProgress } from '../../shared/policy/index.ts';
import { channels, type EventName, type Handlers, type Payload } from '../../shared/ipc.ts';
import type { IpcResult } from '../../shared/ipc/define.ts';
import type { ConnectionStatus } from '../../shared/desktop/status.ts';
import type { OutboxEntry } from '../../shared/desktop/outbox.ts';
import type { ApprovalRequest, SyncChange, SyncEntity, User } from '../../shared/schemas/index.ts';
import { Cache } from './cache/index.ts';
import { ApiError, NetworkError, createBackendClient, type BackendClient } from './client/index.ts';
import type { NotificationSink, SecretStore, SyncStore } from './contracts.ts';
import type { EmbeddedBackend } from './embedded-backend-child.ts';
import { CoreError, createDispatcher } from './ipc/dispatch.ts';
import { Notifier, approvableCount, notifierClock, type NotificationTarget } from './notify/index.ts';
import { Outbox } from './outbox/index.ts';
import { computeInsights } from './insights/index.ts';
import { PreviewInputError, previewAction, previewRequest } from './preview/index.ts';
import { SettingsError, SettingsStore, writeFileAtomic } from './settings/index.ts';
import { SyncEngine } from './sync/index.ts';

export interface DesktopCoreDeps {
  mode: 'desktop' | 'web';
  dataDir: string;
  secrets: SecretStore;
  notifications: NotificationSink;
  /** A server given on the command line; otherwise the signed-in one, else the embedded demo. */
  server?: { url: string; token: string };
  /** --allow-insecure-http: plain http to a host that is not this machine (refused otherwise). */
  allowInsecureHttp?: boolean;
  /** Starts the embedded demo backend when nobody is signed in; without it, sign-in is required. */
  startEmbedded?: (dataDir: string, log: (line: string) => void, clock: Clock) => Promise<EmbeddedBackend>;
  log?: (line: string) => void;
  /** The machine's, unless pinned for a test or a demo. */
  clock?: Clock;
}

export interface DesktopCore {
  dispatch(channel: unknown, input: unknown): Promise<IpcResult<unknown>>;
  subscribe(send: (event: EventName, payload: unknown) => void): () => void;
  emit<K extends EventName>(event: K, payload: Payload<K>): void;
  notificationTarget(id: string): NotificationTarget | undefined;
  approvableCount(): number;
  onApprovableCount(listener: (count: number) => void): () => void;
  close(): Promise<void>;
}

interface Connection {
  url: string;
  token: string;
  client: BackendClient;
  sync: SyncEngine;
  embedded?: EmbeddedBackend;
}

/** Remembered between launches so the app knows who it is while offline. */
interface SessionFile {
  serverUrl: string;
  userId: string;
}

const REQUEST_KEYED_OPS = new Set(['approve', 'reject', 'cancel']);

/** Client failures become contract errors the renderer can show in words. */
function toCoreError(err: unknown): unknown {
  if (err instanceof ApiError) return new CoreError(err.code, err.message, err.status);
  if (err instanceof NetworkError) return new CoreError('offline', `the server can't be reached (${err.message})`);
  if (err instanceof SettingsError) return new CoreError('invalid_input', err.message);
  if (err instanceof PreviewInputError) return new CoreError('invalid_input', err.message, 400);
  return err;
}

export async function createDesktopCore(deps: DesktopCoreDeps): Promise<DesktopCore> {
  const log = deps.log ?? (() => undefined);
  const clock = deps.clock ?? systemClock;
  mkdirSync(deps.dataDir, { recursive: true, mode: 0o700 });
  if (process.platform !== 'win32') chmodSync(deps.dataDir, 0o700); // an older, looser one too
  const sessionFile = join(deps.dataDir, 'session.json');

  const settings = await SettingsStore.open(join(deps.dataDir, 'settings.json'), { now: clock });
  if (settings.problem) log(`settings: ${settings.problem.message} (the old file was moved to ${settings.problem.movedTo})`);
  const opened = await Cache.open({ file: join(deps.dataDir, 'cache.sqlite'), diffBudgetBytes: settings.current.diffPrefetch.budgetMiB * 1024 * 1024, now: clock, onError: (e) => log(`cache save failed: ${e.message}`) });
  const cache = opened.cache;
  if (opened.recovered) log(`cache was unreadable (${opened.recovered.reason}); moved to ${opened.recovered.movedTo}, rebuilding from the server`);
  const outbox = await Outbox.open(join(deps.dataDir, 'outbox.jsonl'), { now: clock });

  const listeners = new Set<(event: EventName, payload: unknown) => void>();
  const emit = <K extends EventName>(event: K, payload: Payload<K>) => {
    for (const l of listeners) l(event, payload);
  };
  const countListeners = new Set<(n: number) => void>();

  let me: User | undefined;
  let conn: Connection | undefined;
  let status: ConnectionStatus = { state: 'offline' };
  let initialLoad = false;
  let lastCount = -1;

  const readSession = (): SessionFile | undefined => {
    try {
      return JSON.parse(readFileSync(sessionFile, 'utf8')) as SessionFile;
    } catch {
      return undefined;
    }
  };

  const notifier = new Notifier({
    sink: deps.notifications,
    me: () => me,
    directory: {
      user: (id) => cache.get('user', id),
      environment: (id) => cache.get('environment', id),
      project: (id) => cache.get('project', id),
      cluster: (id) => cache.get('cluster', id),
    },
    settings: () => settings.current.notifications,
    clock: notifierClock(clock),
  });

  const currentCount = () => (me ? approvableCount(cache.approvableCandidates(), me, clock()) : 0);
  const publishCount = () => {
    const n = currentCount();
    if (n === lastCount) return;
    lastCount = n;
    for (const l of countListeners) l(n);
  };

  const outboxSummary = () => {
    const entries = outbox.list();
    return { queued: entries.filter((e) => e.state !== 'conflict').length, conflicts: entries.filter((e) => e.state === 'conflict').length, entries };
  };
  outbox.onChange(() => emit('outbox.changed', outboxSummary()));

  // The sync engine writes through this: the notifier sees each page against the state before it.
  const syncStore: SyncStore = {
    cursor: () => cache.cursor(),
    serverId: () => cache.serverId(),
    setServerId: (id) => cache.setServerId(id),
    reset: () => {
      // What follows is a fresh bootstrap: it must not raise a notification per request.
      initialLoad = true;
      cache.reset();
    },
    applyChanges: (changes: readonly SyncChange[], cursor: number) => {
      notifier.observe(changes, (entity, id) => cache.get(entity, id), { bootstrapping: initialLoad });
      cache.applyChanges(changes, cursor);
      for (const c of changes) if (c.entity === 'user' && c.id === me?.id && c.op === 'upsert') me = c.data as User;
      emit('cache.changed', { entities: [...new Set(changes.map((c) => c.entity))] as SyncEntity[], cursor });
      publishCount();
      schedulePrefetch();
    },
  };

  // ---- outbox and prefetch, both only while online ---------------------------------------------

  let draining: Promise<void> | undefined;
  let drainAgain = false;
  const drain = (): void => {
    if (!conn || status.state === 'offline') return;
    if (draining) return void (drainAgain = true);
    const client = conn.client;
    draining = outbox
      .drain(client)
      .then((r) => {
        if (r.stoppedBy) log(`outbox: ${r.remaining} left (${r.stoppedBy})`);
      })
      .catch((err: unknown) => log(`outbox drain failed: ${(err as Error).message}`))
      .finally(() => {
        draining = undefined;
        if (drainAgain) {
          drainAgain = false;
          drain();
        }
      });
  };

  let prefetching = false;
  let prefetchTimer: NodeJS.Timeout | undefined;
  const schedulePrefetch = () => {
    if (prefetchTimer || !settings.current.diffPrefetch.enabled) return;
    prefetchTimer = setTimeout(() => {
      prefetchTimer = undefined;
      void prefetch();
    }, 500);
    prefetchTimer.unref();
  };
  const prefetch = async () => {
    if (prefetching) return;
    prefetching = true;
    try {
      for (;;) {
        if (!conn || status.state !== 'online' || !settings.current.diffPrefetch.enabled) return;
        const missing = cache.missingPendingDiffs(5);
        if (missing.length === 0) return;
        for (const m of missing) {
          const { text } = await conn.client.diff(m.id);
          cache.putDiff(m.id, m.digest, text);
        }
      }
    } catch (err) {
      log(`diff prefetch paused: ${(err as Error).message}`);
    } finally {
      prefetching = false;
    }
  };

  // ---- connection ------------------------------------------------------------------------------

  const connect = async (url: string, token: string, embedded?: EmbeddedBackend): Promise<void> => {
    const allowInsecureHttp = deps.allowInsecureHttp === true;
    const client = createBackendClient({ baseUrl: url, token: () => token, allowInsecureHttp });
    const previous = readSession();
    if (previous && previous.serverUrl !== url) cache.reset();
    if (previous?.serverUrl === url) me = cache.get('user', previous.userId) ?? me;
    initialLoad = cache.cursor() === 0;
    const sync = new SyncEngine({
      client,
      store: syncStore,
      baseUrl: url,
      token: () => token,
      allowInsecureHttp,
      now: clock,
      onStatus: (s) => {
        status = s;
        if (s.state === 'online') initialLoad = false;
        emit('connection.status', s);
        if (s.state === 'online') {
          drain();
          schedulePrefetch();
          if (!me || me.id !== readSession()?.userId) void identify();
        }
      },
    });
    conn = { url, token, client, sync, ...(embedded ? { embedded } : {}) };
    const identify = async () => {
      try {
        me = await client.me();
        await writeFileAtomic(sessionFile, JSON.stringify({ serverUrl: url, userId: me.id } satisfies SessionFile), { mode: 0o600 });
        publishCount();
      } catch (err) {
        log(`could not identify the signed-in user: ${(err as Error).message}`);
      }
    };
    await identify();
    void sync.start();
  };

  const disconnect = async () => {
    const c = conn;
    conn = undefined;
    status = { state: 'offline' };
    if (!c) return;
    await c.sync.stop();
    await draining;
    await c.embedded?.close();
  };

  if (deps.server) {
    await deps.secrets.set(deps.server.token);
    await connect(deps.server.url, deps.server.token);
  } else {
    const token = settings.current.serverUrl ? await deps.secrets.get() : undefined;
    if (settings.current.serverUrl && token) await connect(settings.current.serverUrl, token);
    else if (deps.startEmbedded) {
      const backend = await deps.startEmbedded(deps.dataDir, log, clock);
      await connect(backend.url, backend.token, backend);
    }
  }

  // ---- handlers: one per contract channel, or this doesn't compile ---------------------------

  const online = (): Connection => {
    if (!conn) throw new CoreError('signed_out', 'sign in to a Gatehouse server first');
    if (status.state === 'offline') throw new CoreError('offline', 'this needs the server, which is not reachable right now');
    return conn;
  };
  const whoAmI = (): User => {
    if (!me) throw new CoreError('signed_out', 'not signed in (or the server has not said who you are yet)');
    return me;
  };
  const usersById = () => new Map(cache.list('user').map((u) => [u.id, u]));
  const teamNames = () => new Map(cache.list('team').map((t) => [t.id, t.name]));
  const queuedFor = (requestId: string): OutboxEntry[] => outbox.list().filter((e) => REQUEST_KEYED_OPS.has(e.op.type) && 'requestId' in e.op && e.op.requestId === requestId);
  const session = () => ({ mode: deps.mode, now: clock().toISOString(), signedIn: conn !== undefined, ...(conn ? { serverUrl: conn.url } : {}), ...(me ? { user: me } : {}) });

  const handlers: Handlers = {
    'session.get': async () => session(),
    'session.signIn': async ({ serverUrl, token }) => {
      const url = serverUrl.replace(/\/+$/, '');
      const insecure = serverUrlProblem(url, { allowInsecureHttp: deps.allowInsecureHttp === true });
      if (insecure) throw new CoreError('invalid_input', insecure, 400);
      const probe = createBackendClient({ baseUrl: url, token: () => token, allowInsecureHttp: deps.allowInsecureHttp === true });
      await probe.me().catch((err: unknown) => {
        if (err instanceof ApiError && err.status === 401) throw new CoreError('unauthorized', 'the server refused this token', 401);
        throw err;
      });
      await disconnect();
      await deps.secrets.set(token);
      await settings.update({ serverUrl: url });
      await connect(url, token);
      return session();
    },
    'session.signOut': async () => {
      await disconnect();
      await deps.secrets.set(undefined);
      await settings.update({ serverUrl: null });
      cache.reset();
      me = undefined;
      publishCount();
      return session();
    },
    'status.get': async () => status,
    'directory.get': async () => ({
      users: cache.list('user'),
      teams: cache.list('team'),
      projects: cache.list('project'),
      clusters: cache.list('cluster'),
      environments: cache.list('environment'),
      policies: cache.list('policy'),
      bindings: cache.list('binding'),
    }),
    'inbox.query': async (q) => {
      const result = cache.inbox({ ...q, ...(q.text ? { text: q.text } : {}) });
      const users = usersById();
      const teams = teamNames();
      const queued = new Set(outbox.list().flatMap((e) => ('requestId' in e.op ? [e.op.requestId] : [])));
      return {
        total: result.total,
        counts: result.counts,
        rows: result.rows.map((request: ApprovalRequest) => ({
          request,
          canApprove: me ? canApprove(request, me) : false,
          progress: request.status === 'pending' ? evaluateProgress(request, users, { user: (id) => users.get(id)?.name, team: (id) => teams.get(id) }).summary : request.status,
          queued: queued.has(request.id),
        })),
      };
    },
    'request.get': async ({ id }) => {
      const request = cache.request(id);
      if (!request) throw new CoreError('not_found', 'request not found', 404);
      const preview = previewRequest(request, whoAmI(), usersById(), new Map(cache.list('team').map((t) => [t.id, t])), { now: clock() });
      return { request, progress: preview.progress, canApprove: preview.canApprove, whoCanStillApprove: preview.whoCanStillApprove, queued: queuedFor(id) };
    },
    'request.diff': async ({ id }) => {
      const request = cache.request(id);
      if (!request) throw new CoreError('not_found', 'request not found', 404);
      const cached = cache.getDiff(id);
      if (cached && cached.digest === request.digest) return { text: cached.text, digest: cached.digest };
      if (!conn || status.state === 'offline') throw new CoreError('offline', 'this diff was not downloaded before the connection was lost');
      const { text } = await conn.client.diff(id);
      cache.putDiff(id, request.digest, text);
      return { text, digest: request.digest };
    },
    'request.create': async (body) => ({ request: await online().client.createRequest({ ...body, justification: body.justification ?? '' }) }),
    'request.nudge': async ({ id, ...body }) => {
      const c = online();
      const request = await c.client.nudge(id, body, randomUUID());
      // Apply at once so the detail shows the nudge without waiting for the sync round trip.
      cache.applyChanges([{ seq: cache.cursor(), entity: 'request', id, op: 'upsert', data: request }], cache.cursor());
      return { request };
    },
    'outbox.enqueue': async (op) => {
      const entry = await outbox.enqueue(op);
      if (op.type === 'freeze' || op.type === 'unfreeze') notifier.noteOwnAction({ kind: 'environment', id: op.environmentId });
      drain();
      return entry;
    },
    'outbox.list': async () => outboxSummary(),
    'outbox.dismiss': async ({ id }) => {
      if (!(await outbox.dismiss(id))) throw new CoreError('not_found', 'no conflict with that id (only conflicts can be dismissed)', 404);
      return outboxSummary();
    },
    'preview.action': async (draft) => {
      const ev = previewAction(draft, whoAmI(), {
        environments: cache.list('environment'),
        policies: cache.list('policy'),
        bindings: cache.list('binding'),
        breakGlassSessions: cache.list('breakglass'),
        projects: cache.list('project'),
        clusters: cache.list('cluster'),
      }, clock());
      return { outcome: ev.outcome, ...(ev.deny ? { message: ev.deny.message } : {}), gates: ev.gates.map((g) => g.name), warnings: ev.warnings };
    },
    'breakglass.list': async () => ({ sessions: cache.list('breakglass') }),
    'audit.page': async ({ after, before, limit }) => online().client.audit(after, limit, before !== undefined ? { before } : {}),
    'audit.verify': async () => online().client.auditVerify(),
    'request.history': async ({ id }) => {
      const client = online().client;
      const events = [];
      for (let after = 0; ; ) {
        const page = await client.audit(after, 1000, { subject: id });
        events.push(...page.events);
        if (page.next === null || page.events.length === 0) return { events };
        after = page.next;
      }
    },
    'audit.export': async ({ format, from, to }) => {
      const text = await online().client.auditExport(format, { ...(from ? { from } : {}), ...(to ? { to } : {}) });
      return { filename: `gatehouse-audit-${clock().toISOString().slice(0, 10)}.${format}`, mime: format === 'csv' ? 'text/csv' : 'application/x-ndjson', text };
    },
    'insights.get': async ({ days }) =>
      computeInsights(cache.list('request'), { users: usersById(), teams: new Map(cache.list('team').map((t) => [t.id, t])), environments: new Map(cache.list('environment').map((e) => [e.id, e])) }, clock(), days),
    'settings.get': async () => settings.current,
    'settings.update': async (patch) => settings.update(patch),
  };

  const dispatch = createDispatcher(channels, wrapErrors(handlers), (channel, err) => log(`${channel} failed: ${(err as Error)?.stack ?? String(err)}`));

  return {
    dispatch,
    subscribe: (send) => {
      listeners.add(send);
      return () => void listeners.delete(send);
    },
    emit,
    notificationTarget: (id) => notifier.target(id),
    approvableCount: currentCount,
    onApprovableCount: (l) => {
      countListeners.add(l);
      return () => void countListeners.delete(l);
    },
    close: async () => {
      if (prefetchTimer) clearTimeout(prefetchTimer);
      await disconnect();
      notifier.dispose();
      await outbox.close();
      await cache.close();
    },
  };
}

function wrapErrors(handlers: Handlers): Handlers {
  const wrapped = {} as Record<string, (input: unknown) => Promise<unknown>>;
  for (const [name, fn] of Object.entries(handlers) as [string, (input: unknown) => Promise<unknown>][]) {
    wrapped[name] = (input) => fn(input).catch((err: unknown) => Promise.reject(toCoreError(err)));
  }
  return wrapped as unknown as Handlers;
}
