// The desktop core's composition: settings, cache, outbox, notifier and the connection, wired
// together and exposed as the IPC contract's handlers (one module per domain in handlers/).
// Electron's main and web mode both build one of these and inject what only they have
// (notifications, secret store, data dir).
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock, type Clock } from '../../shared/clock.ts';
import { channels, type EventName, type Handlers, type NoticeTarget, type Payload } from '../../shared/ipc.ts';
import type { IpcResult } from '../../shared/ipc/define.ts';
import { Cache } from './cache/index.ts';
import { Connection, connectAtLaunch } from './connection/index.ts';
import type { NotificationSink, SecretStore } from './contracts.ts';
import type { EmbeddedBackend } from './embedded-backend-child.ts';
import { auditHandlers } from './handlers/audit.ts';
import { breakGlassHandlers } from './handlers/breakglass.ts';
import { directoryHandlers } from './handlers/directory.ts';
import { withCoreErrors } from './handlers/errors.ts';
import { insightsHandlers } from './handlers/insights.ts';
import { outboxHandlers, outboxSummary } from './handlers/outbox.ts';
import { peopleHandlers } from './handlers/people.ts';
import { previewHandlers } from './handlers/preview.ts';
import { policyTryHandlers } from './handlers/policy-try.ts';
import { requestHandlers } from './handlers/requests.ts';
import { sessionHandlers } from './handlers/session.ts';
import { reviewHandlers } from './handlers/review.ts';
import { settingsHandlers } from './handlers/settings.ts';
import { tokenHandlers } from './handlers/tokens.ts';
import { policyHandlers } from './handlers/policies.ts';
import { environmentHandlers } from './handlers/environments.ts';
import { notificationHandlers } from './handlers/notifications.ts';
import { githubHandlers } from './handlers/github.ts';
import { createDispatcher } from './ipc/dispatch.ts';
import { CountPublisher, Notifier, approvableCount, notifierClock } from './notify/index.ts';
import { Outbox } from './outbox/index.ts';
import { SettingsStore } from './settings/index.ts';
import { AuditWitness, type WitnessTimers } from './witness/index.ts';

export interface DesktopCoreDeps {
  mode: 'desktop' | 'web';
  dataDir: string;
  secrets: SecretStore;
  /** Why the token is kept in memory only (settings/secret-store.ts chooseSecretStore), shown in the console. */
  tokenNotice?: string | undefined;
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
  /** The audit witness's timers and period (tests); the machine's and 5 minutes otherwise. */
  witness?: { timers?: WitnessTimers; intervalMs?: number };
}

export interface DesktopCore {
  dispatch(channel: unknown, input: unknown): Promise<IpcResult<unknown>>;
  subscribe(send: (event: EventName, payload: unknown) => void): () => void;
  emit<K extends EventName>(event: K, payload: Payload<K>): void;
  notificationTarget(id: string): NoticeTarget | undefined;
  approvableCount(): number;
  onApprovableCount(listener: (count: number) => void): () => void;
  close(): Promise<void>;
}

export async function createDesktopCore(deps: DesktopCoreDeps): Promise<DesktopCore> {
  const log = deps.log ?? (() => undefined);
  const clock = deps.clock ?? systemClock;
  mkdirSync(deps.dataDir, { recursive: true, mode: 0o700 });
  if (process.platform !== 'win32') chmodSync(deps.dataDir, 0o700); // an older, looser one too
  const allowInsecureHttp = deps.allowInsecureHttp === true;

  const settings = await SettingsStore.open(join(deps.dataDir, 'settings.json'), { now: clock });
  if (settings.problem) log(`settings: ${settings.problem.message} (the old file was moved to ${settings.problem.movedTo})`);
  const opened = await Cache.open({
    file: join(deps.dataDir, 'cache.sqlite'),
    diffBudgetBytes: settings.current.diffPrefetch.budgetMiB * 1024 * 1024,
    now: clock,
    onError: (e) => log(`cache save failed: ${e.message}`),
  });
  const cache = opened.cache;
  if (opened.recovered) log(`cache was unreadable (${opened.recovered.reason}); moved to ${opened.recovered.movedTo}, rebuilding from the server`);
  const outbox = await Outbox.open(join(deps.dataDir, 'outbox.jsonl'), { now: clock });

  const listeners = new Set<(event: EventName, payload: unknown) => void>();
  const emit = <K extends EventName>(event: K, payload: Payload<K>) => {
    for (const l of listeners) l(event, payload);
    // The witness checks the audit chain whenever the server comes (back) online, and says so
    // when the server it speaks for changes (another server, or signed out).
    if (event === 'connection.status') {
      witness.publish();
      if ((payload as Payload<'connection.status'>).state === 'online') void witness.check();
    }
  };
  outbox.onChange(() => emit('outbox.changed', outboxSummary(outbox)));

  // The notifier and the count read the user from the connection, which feeds the notifier each
  // sync page: hence the closures over `connection`, which exists before either is called.
  const notifier: Notifier = new Notifier({
    sink: deps.notifications,
    me: () => connection.me,
    directory: {
      user: (id) => cache.get('user', id),
      environment: (id) => cache.get('environment', id),
      project: (id) => cache.get('project', id),
      cluster: (id) => cache.get('cluster', id),
    },
    settings: () => settings.current.notifications,
    clock: notifierClock(clock),
    cancelledBy: async (requestId) => {
      const client = connection.reachable();
      if (!client) return undefined;
      for (let after = 0; ; ) {
        const page = await client.audit(after, 1000, { subject: requestId });
        const cancel = page.events.find((e) => e.type === 'request.cancelled');
        if (cancel) return cancel.actorId;
        if (page.next === null || page.events.length === 0) return undefined;
        after = page.next;
      }
    },
  });
  const count = new CountPublisher(() => {
    const me = connection.me;
    return me ? approvableCount(cache.approvableCandidates(), me, clock()) : 0;
  });
  const connection: Connection = new Connection({
    sessionFile: join(deps.dataDir, 'session.json'),
    cache,
    outbox,
    notifier,
    prefetchDiffs: () => settings.current.diffPrefetch.enabled,
    emit,
    onCountMayChange: () => count.publish(),
    allowInsecureHttp,
    clock,
    log,
  });

  // The desktop as a witness of the server's audit chain (witness/witness.ts).
  const witness: AuditWitness = new AuditWitness({
    file: join(deps.dataDir, 'witness.json'),
    client: () => connection.reachable(),
    serverId: () => cache.serverId(),
    clock,
    ...(deps.witness?.timers ? { timers: deps.witness.timers } : {}),
    ...(deps.witness?.intervalMs ? { intervalMs: deps.witness.intervalMs } : {}),
    onChange: (state) => emit('witness.changed', state),
    onAlert: (alert, serverId) =>
      notifier.securityAlert({ id: `witness:${serverId}`, title: 'Audit log rewritten?', body: `${alert.message}\n${alert.detail}` }, { kind: 'audit' }),
    log,
  });
  witness.start();

  if (deps.tokenNotice) log(deps.tokenNotice);
  await connectAtLaunch(connection, {
    server: deps.server,
    savedServerUrl: settings.current.serverUrl,
    secrets: deps.secrets,
    startEmbedded: deps.startEmbedded,
    dataDir: deps.dataDir,
    clock,
    log,
  });

  // One handler per contract channel, or this doesn't compile.
  const session = sessionHandlers({
    mode: deps.mode,
    connection,
    secrets: deps.secrets,
    settings,
    cache,
    outbox,
    publishCount: () => count.publish(),
    clock,
    tokenNotice: deps.tokenNotice,
    allowInsecureHttp,
  });
  // Signing in or out changes which server the witness speaks for: the console hears at once.
  const andPublish =
    <I, O>(run: (input: I) => Promise<O>) =>
    async (input: I): Promise<O> => {
      const out = await run(input);
      witness.publish();
      return out;
    };
  const signIn = andPublish(session['session.signIn']);
  const signOut = andPublish(session['session.signOut']);
  const handlers: Handlers = {
    ...session,
    'session.signIn': signIn,
    'session.signOut': signOut,
    ...tokenHandlers({ connection, signOut: () => signOut({}) }),
    ...directoryHandlers(cache),
    ...peopleHandlers({ cache, connection, emit }),
    ...breakGlassHandlers({ cache, connection }),
    ...requestHandlers({ cache, outbox, connection, clock }),
    ...outboxHandlers({ outbox, connection, notifier }),
    ...previewHandlers(cache, connection, clock),
    ...policyTryHandlers(cache, connection, clock),
    ...auditHandlers(connection, clock, witness),
    ...insightsHandlers(cache, clock),
    ...reviewHandlers(cache),
    ...settingsHandlers(settings),
    ...policyHandlers({ cache, connection, changed: (entities, cursor) => emit('cache.changed', { entities, cursor }) }),
    ...environmentHandlers({ cache, connection }),
    ...notificationHandlers({ connection }),
    ...githubHandlers({ connection }),
  };
  const dispatch = createDispatcher(channels, withCoreErrors(handlers), (channel, err) => log(`${channel} failed: ${(err as Error)?.stack ?? String(err)}`));

  return {
    dispatch,
    subscribe: (send) => {
      listeners.add(send);
      return () => void listeners.delete(send);
    },
    emit,
    notificationTarget: (id) => notifier.target(id),
    approvableCount: () => count.current(),
    onApprovableCount: (l) => count.subscribe(l),
    close: async () => {
      await witness.close();
      await connection.close();
      notifier.dispose();
      await outbox.close();
      await cache.close();
    },
  };
}
