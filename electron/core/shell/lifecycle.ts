// The desktop shell's lifecycle as plain code over narrow interfaces (app, window, tray,
// notifications), so it runs and is tested without Electron's binary; main.ts only builds the
// adapters. What it guarantees:
// - the single-instance lock first; a second instance quits at once;
// - every event that can come early (second-instance, open-url, activate) is listened to before
//   anything awaits, and only queues until the core and its IPC handlers exist: no window loads
//   before the handlers are registered;
// - one route queue: deep links, notification clicks and tray actions wait until the window's
//   document has loaded (`did-finish-load`: the renderer drops IPC that arrives before it), and a
//   window closed to the tray is created again for them;
// - a startup failure is logged, shown, releases the lock and exits (no windowless process left
//   holding the lock, which would swallow every later launch);
// - the approvable count on the app badge where one exists, drawn on the tray (and the Windows
//   overlay) where not, re-applied whenever the window is created again;
// - notifications only where supported, each released once closed, clicked or failed.
import type { NotificationSink } from '../contracts.ts';
import type { EventName, NoticeTarget, Payload } from '../../../shared/ipc.ts';
import { badgePlan } from './badge.ts';
import { EVENT_PREFIX } from './ipc-names.ts';
import { appUserModelId, deepLinkRoutes, protocolRegistration } from './platform.ts';
import type { PreventableEvent } from './security.ts';

/** The slice of Electron's `app` the shell uses (`app` itself satisfies it). */
export interface AppLike {
  requestSingleInstanceLock(): boolean;
  releaseSingleInstanceLock(): void;
  whenReady(): Promise<unknown>;
  quit(): void;
  exit(code?: number): void;
  // biome-ignore lint/suspicious/noExplicitAny: Node's EventEmitter signature, which Electron's App inherits
  on(event: string, listener: (...args: any[]) => void): unknown;
  isDefaultProtocolClient(protocol: string, path?: string, args?: string[]): boolean;
  setAsDefaultProtocolClient(protocol: string, path?: string, args?: string[]): boolean;
  setAppUserModelId(id: string): void;
  setBadgeCount(count?: number): boolean;
}

/** What the shell needs of the desktop core (core/app.ts's DesktopCore satisfies it). */
export interface ShellCore {
  subscribe(send: (event: EventName, payload: unknown) => void): () => void;
  emit<K extends EventName>(event: K, payload: Payload<K>): void;
  notificationTarget(id: string): NoticeTarget | undefined;
  approvableCount(): number;
  onApprovableCount(listener: (count: number) => void): () => void;
  close(): Promise<void>;
}

/** What a window tells the shell (main wires BrowserWindow's and webContents' events to these). */
export interface WindowEvents {
  /** A document started loading (first load or a reload): IPC sent now would be dropped. */
  loading(): void;
  /** `did-finish-load`: the console listens now. */
  loaded(): void;
  /** The window is gone (closed to the tray) or its renderer crashed. */
  closed(): void;
}

/** One console window (a BrowserWindow behind an adapter). */
export interface ShellWindow {
  /** Restore if minimised, show, focus. */
  show(): void;
  send(channel: string, payload: unknown): void;
  /** The drawn count on the taskbar button (Windows' overlay); 0 clears it. */
  setOverlayCount(count: number): void;
}

export type TrayMenuItem = { label: string; click: () => void } | { type: 'separator' } | { label: string; role: 'quit' };

export interface ShellTray {
  setToolTip(text: string): void;
  setMenu(items: TrayMenuItem[]): void;
  /** The tray icon with the count drawn on it; 0 shows the plain icon. */
  setIconCount(count: number): void;
  onClick(listener: () => void): void;
}

export interface NotificationLike {
  on(event: 'click' | 'close' | 'failed', listener: () => void): unknown;
  show(): void;
  close(): void;
}

export interface NotificationFactory {
  isSupported(): boolean;
  create(n: { title: string; body: string; urgent: boolean }): NotificationLike;
}

export interface ShellDeps {
  app: AppLike;
  platform: NodeJS.Platform;
  isPackaged: boolean;
  /** `process.defaultApp`: started as `electron .` (development). */
  defaultApp: boolean;
  execPath: string;
  argv: readonly string[];
  log(line: string): void;
  /**
   * After `whenReady`: everything that must exist before a window loads (menu, the app protocol,
   * the core, one IPC handler per channel). Given the notification sink the core must use.
   */
  start(ctx: { notifications: NotificationSink }): Promise<ShellCore>;
  /** Creates a window, wires its events to `events` and starts loading the console. */
  createWindow(events: WindowEvents): ShellWindow;
  createTray(): ShellTray;
  notifications: NotificationFactory;
  /** Shown to the user before exiting (main: dialog.showErrorBox). */
  showStartupError?(message: string): void;
  /** How long quitting waits for the core to flush (ms). */
  quitTimeoutMs?: number;
}

export type ShellOutcome = 'started' | 'second-instance' | 'failed';

export interface Shell {
  /** Settles once the shell has started, handed over to the first instance, or failed. */
  readonly outcome: Promise<ShellOutcome>;
  /** Routes the console (creating the window if needed) once it can listen. */
  navigate(route: string): void;
  showWindow(): void;
}

type Delivery = { [K in 'navigate' | 'notification.clicked']: { event: K; payload: Payload<K> } }['navigate' | 'notification.clicked'];

export function tooltipText(count: number): string {
  return count === 0 ? 'Gatehouse — nothing awaits your approval' : `Gatehouse — ${count} awaiting your approval`;
}

export function runShell(deps: ShellDeps): Shell {
  const { app } = deps;
  const plan = badgePlan(deps.platform);
  let core: ShellCore | undefined;
  let tray: ShellTray | undefined;
  let window: ShellWindow | undefined;
  let loaded = false;
  let count = 0;
  let quitting = false;
  const queue: Delivery[] = [];
  const notifications = new Map<string, NotificationLike>();

  const flush = () => {
    if (!core || !window || !loaded) return;
    for (const d of queue.splice(0)) core.emit(d.event, d.payload as never);
  };

  const showWindow = () => {
    // Before the core and its IPC handlers exist, nothing opens: startup shows the window itself.
    if (!core) return;
    if (window) return window.show();
    loaded = false;
    const created: ShellWindow = deps.createWindow({
      loading: () => {
        if (window === created) loaded = false;
      },
      loaded: () => {
        if (window !== created) return;
        loaded = true;
        flush();
      },
      closed: () => {
        if (window !== created) return;
        window = undefined;
        loaded = false;
      },
    });
    window = created;
    if (plan.windowOverlay) created.setOverlayCount(count);
  };

  const deliver = (d: Delivery) => {
    queue.push(d);
    showWindow();
    flush();
  };
  const navigate = (route: string) => deliver({ event: 'navigate', payload: { route } });
  const openLinks = (args: readonly string[]) => {
    for (const route of deepLinkRoutes(args)) navigate(route);
  };

  const applyCount = (n: number) => {
    count = n;
    const badged = plan.appBadge && app.setBadgeCount(n);
    if (!tray) return;
    tray.setIconCount(plan.trayAlways || !badged ? n : 0);
    if (plan.windowOverlay && window) window.setOverlayCount(n);
    tray.setToolTip(tooltipText(n));
    tray.setMenu([
      { label: n ? `Open Gatehouse (${n} awaiting)` : 'Open Gatehouse', click: () => showWindow() },
      { label: 'Freeze environment…', click: () => navigate('/environments') },
      { type: 'separator' },
      { label: 'Quit Gatehouse', role: 'quit' },
    ]);
  };

  let supportedLogged = false;
  const sink: NotificationSink = {
    show({ id, title, body, urgent }) {
      if (!deps.notifications.isSupported()) {
        if (!supportedLogged) deps.log('notifications are not supported on this system: none will be shown');
        supportedLogged = true;
        return;
      }
      notifications.get(id)?.close();
      const n = deps.notifications.create({ title, body, urgent: !!urgent });
      const release = () => {
        if (notifications.get(id) === n) notifications.delete(id);
      };
      n.on('click', () => {
        release();
        const target = core?.notificationTarget(id);
        if (target) deliver({ event: 'notification.clicked', payload: { target } });
        else showWindow();
      });
      n.on('close', release);
      n.on('failed', release);
      notifications.set(id, n);
      n.show();
    },
    close(id) {
      const n = notifications.get(id);
      notifications.delete(id);
      n?.close();
    },
  };

  const outcome = (async (): Promise<ShellOutcome> => {
    if (!app.requestSingleInstanceLock()) {
      app.quit();
      return 'second-instance';
    }
    // Listened to before anything awaits: these can arrive during startup.
    app.on('second-instance', (_event: unknown, argv: string[]) => {
      showWindow();
      openLinks(argv);
    });
    app.on('open-url', (event: PreventableEvent, url: string) => {
      event.preventDefault();
      openLinks([url]);
    });
    // macOS: a Dock click with every window closed.
    app.on('activate', () => showWindow());
    // The tray keeps the app alive with every window closed (it's open all day).
    app.on('window-all-closed', () => undefined);
    app.on('before-quit', (event: PreventableEvent) => {
      if (quitting || !core) return;
      event.preventDefault();
      quitting = true;
      const closing = core;
      // Flush the cache and outbox, but never hang the quit on them.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise((r) => (timer = setTimeout(r, deps.quitTimeoutMs ?? 5000)));
      void Promise.race([closing.close().catch((e: unknown) => deps.log(`closing failed: ${String(e)}`)), timeout]).finally(() => {
        clearTimeout(timer);
        app.quit();
      });
    });

    if (deps.platform === 'win32') app.setAppUserModelId(appUserModelId(deps));
    const reg = protocolRegistration(deps);
    const regArgs: [string, string?, string[]?] = reg.path ? [reg.scheme, reg.path, reg.args ?? []] : [reg.scheme];
    if (!app.isDefaultProtocolClient(...regArgs) && !app.setAsDefaultProtocolClient(...regArgs))
      deps.log(`could not register the ${reg.scheme}: protocol; links will not open the app`);

    try {
      await app.whenReady();
      const started = await deps.start({ notifications: sink });
      started.subscribe((event, payload) => {
        if (window && loaded) window.send(`${EVENT_PREFIX}${event}`, payload);
      });
      core = started;
      tray = deps.createTray();
      tray.onClick(() => showWindow());
      applyCount(started.approvableCount());
      started.onApprovableCount(applyCount);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      deps.log(`startup failed: ${message}`);
      deps.showStartupError?.(`Gatehouse could not start: ${message}`);
      app.releaseSingleInstanceLock();
      app.exit(1);
      return 'failed';
    }

    showWindow();
    // A cold start from a link: Windows and Linux pass it in argv (macOS sends open-url).
    openLinks(deps.argv);
    flush();
    return 'started';
  })();

  return { outcome, navigate, showWindow };
}
