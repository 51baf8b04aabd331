// The composition root of the desktop app, kept thin: it builds the plain-Node core and injects
// Electron's Notification, Tray, safeStorage, paths and windows into it. Every rule lives in
// electron/core, where it is tested without the Electron binary.
import { app, BrowserWindow, Menu, Notification, Tray, ipcMain, nativeImage, nativeTheme, net, protocol, safeStorage, shell } from 'electron';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CLOCK_ENV, formatClockPin, resolveClock, systemClock } from '../shared/clock.ts';
import { channels } from '../shared/ipc.ts';
import { createDesktopCore, type DesktopCore } from './core/app.ts';
import { writeFileAtomic } from './core/atomic-write.ts';
import { spawnEmbeddedBackend } from './core/embedded-backend-child.ts';
import type { NotificationSink, SecretStore } from './core/contracts.ts';
import { chooseSecretStore } from './core/settings/index.ts';
import { rendererCsp } from './core/shell/csp.ts';
import { EVENT_PREFIX, INVOKE_PREFIX } from './core/shell/ipc-names.ts';
import { APP_ORIGIN, APP_SCHEME, DEEP_LINK_SCHEME, hardenContents, isTrustedSender, parseDeepLink, windowOptions } from './core/shell/security.ts';
import { applicationMenu, devToolsAllowed, lockDevTools } from './core/shell/devtools.ts';

const here = dirname(fileURLToPath(import.meta.url));
const rendererDir = resolve(here, '../renderer');
const preloadPath = join(here, '../preload/preload.cjs');
const iconsDir = app.isPackaged ? join(process.resourcesPath, 'icons') : resolve(here, '../../build');
/** Links the app may hand to the user's browser. */
const EXTERNAL_HOSTS = ['github.com', 'docs.gatehouse.dev'];
/** DevTools in development only (window preference, shortcuts, menu: core/shell/devtools.ts). */
const devTools = { allowed: devToolsAllowed(app.isPackaged), platform: process.platform };

protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
app.enableSandbox();

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  void main();
}

/** The token is encrypted with the OS keychain (safeStorage) and written atomically. */
function safeStorageSecrets(file: string): SecretStore {
  return {
    async get() {
      if (!existsSync(file) || !safeStorage.isEncryptionAvailable()) return undefined;
      try {
        return safeStorage.decryptString(readFileSync(file));
      } catch {
        return undefined;
      }
    },
    async set(token) {
      if (token === undefined) return void rmSync(file, { force: true });
      if (!safeStorage.isEncryptionAvailable()) throw new Error('the OS keychain is not available: cannot store the token safely');
      await writeFileAtomic(file, safeStorage.encryptString(token), { mode: 0o600 });
    },
  };
}

/** safeStorage when it really encrypts; in memory only on Linux's basic_text (core/settings/secret-store.ts decides). */
async function safeStorageChoice(): Promise<{ secrets: SecretStore; tokenNotice?: string }> {
  const status = {
    platform: process.platform,
    encryptionAvailable: safeStorage.isEncryptionAvailable(),
    backend: process.platform === 'linux' ? safeStorage.getSelectedStorageBackend() : undefined,
  };
  const { secrets, notice } = await chooseSecretStore(status, safeStorageSecrets(join(app.getPath('userData'), 'token.bin')));
  return { secrets, ...(notice ? { tokenNotice: notice } : {}) };
}

async function main(): Promise<void> {
  let window: BrowserWindow | undefined;
  let core: DesktopCore | undefined;
  const pendingRoutes: string[] = [];

  const navigate = (route: string) => {
    showWindow();
    if (core) core.emit('navigate', { route });
    else pendingRoutes.push(route);
  };
  const openDeepLink = (argv: readonly string[]) => {
    for (const arg of argv) {
      const link = parseDeepLink(arg);
      if (link) navigate(`/request/${link.id}`);
    }
  };

  app.on('second-instance', (_e, argv) => {
    showWindow();
    openDeepLink(argv);
  });
  app.on('open-url', (event, url) => {
    event.preventDefault();
    openDeepLink([url]);
  });
  if (!app.isDefaultProtocolClient(DEEP_LINK_SCHEME)) app.setAsDefaultProtocolClient(DEEP_LINK_SCHEME);
  app.on('web-contents-created', (_e, contents) => {
    hardenContents(contents, (url) => shell.openExternal(url), EXTERNAL_HOSTS);
    lockDevTools(contents, devTools);
  });

  await app.whenReady();
  const menu = applicationMenu(devTools);
  if (menu) Menu.setApplicationMenu(Menu.buildFromTemplate(menu));

  protocol.handle(APP_SCHEME, async (request) => {
    const { host, pathname } = new URL(request.url);
    if (host !== 'ui') return new Response('not found', { status: 404 });
    const file = resolve(rendererDir, normalize(decodeURIComponent(pathname)).replace(/^[/\\]+/, '') || 'index.html');
    const target = file.startsWith(rendererDir + sep) && existsSync(file) ? file : join(rendererDir, 'index.html');
    const res = await net.fetch(pathToFileURL(target).toString());
    const headers = new Headers(res.headers);
    headers.set('content-security-policy', rendererCsp());
    headers.set('x-content-type-options', 'nosniff');
    return new Response(res.body, { status: res.status, headers });
  });

  const notifications = new Map<string, Notification>();
  const sink: NotificationSink = {
    show({ id, title, body, urgent }) {
      notifications.get(id)?.close();
      const n = new Notification({ title, body, urgency: urgent ? 'critical' : 'normal', silent: false });
      n.on('click', () => {
        showWindow();
        const target = core?.notificationTarget(id);
        if (target) core?.emit('notification.clicked', { target });
      });
      notifications.set(id, n);
      n.show();
    },
    close(id) {
      notifications.get(id)?.close();
      notifications.delete(id);
    },
  };

  // GATEHOUSE_CLOCK pins time for demos during development; a packaged app always runs on real time.
  const { clock, pin } = app.isPackaged ? { clock: systemClock, pin: undefined } : resolveClock(undefined, process.env[CLOCK_ENV]);
  if (pin) process.env[CLOCK_ENV] = formatClockPin(pin);

  core = await createDesktopCore({
    mode: 'desktop',
    clock,
    dataDir: app.getPath('userData'),
    ...(await safeStorageChoice()),
    notifications: sink,
    // `gatehouse --allow-insecure-http`: sign in over plain http to a host other than this machine.
    allowInsecureHttp: app.commandLine.hasSwitch('allow-insecure-http'),
    // During development (`npm start`) a demo backend runs beside the app; packaged, you sign in.
    ...(app.isPackaged
      ? {}
      : {
          startEmbedded: (dir: string, log: (line: string) => void) =>
            spawnEmbeddedBackend(dir, { node: process.env.npm_node_execpath ?? 'node', root: resolve(here, '../..'), log }),
        }),
    log: (line: string) => console.log(`[gatehouse] ${line}`),
  });
  const ready = core;

  // Register one handler per contract channel: a channel without a handler can't exist, and each
  // call checks the sender frame before the core parses the input.
  for (const channel of Object.keys(channels)) {
    ipcMain.handle(`${INVOKE_PREFIX}${channel}`, (event, input: unknown) => {
      if (!isTrustedSender(event.senderFrame)) return { ok: false, error: { code: 'forbidden', message: 'IPC from an untrusted frame' } };
      return ready.dispatch(channel, input);
    });
  }
  ready.subscribe((event, payload) => {
    if (window && !window.isDestroyed()) window.webContents.send(`${EVENT_PREFIX}${event}`, payload);
  });

  const trayImage = nativeImage.createFromPath(join(iconsDir, process.platform === 'darwin' ? 'trayTemplate.png' : 'tray.png'));
  const tray = new Tray(trayImage);
  const updateTray = (count: number) => {
    tray.setToolTip(count === 0 ? 'Gatehouse — nothing awaits your approval' : `Gatehouse — ${count} awaiting your approval`);
    app.setBadgeCount(count);
    tray.setContextMenu(
      Menu.buildFromTemplate([
        { label: count ? `Open Gatehouse (${count} awaiting)` : 'Open Gatehouse', click: () => showWindow() },
        { label: 'Freeze environment…', click: () => navigate('/environments') },
        { type: 'separator' },
        { label: 'Quit Gatehouse', role: 'quit' },
      ]),
    );
  };
  updateTray(ready.approvableCount());
  ready.onApprovableCount(updateTray);
  tray.on('click', () => showWindow());

  function showWindow(): void {
    if (!app.isReady()) return;
    if (!window || window.isDestroyed()) {
      window = new BrowserWindow({ ...windowOptions(preloadPath, nativeTheme.shouldUseDarkColors, devTools.allowed), icon: join(iconsDir, 'icon.png') });
      window.once('ready-to-show', () => window?.show());
      window.webContents.once('did-finish-load', () => {
        for (const route of pendingRoutes.splice(0)) ready.emit('navigate', { route });
      });
      void window.loadURL(`${APP_ORIGIN}/index.html`);
    } else {
      if (window.isMinimized()) window.restore();
      window.show();
      window.focus();
    }
  }

  showWindow();
  openDeepLink(process.argv);

  let quitting = false;
  app.on('before-quit', (event) => {
    if (quitting) return;
    event.preventDefault();
    quitting = true;
    // Flush the cache and outbox, but never hang the quit on them.
    void Promise.race([ready.close(), new Promise((r) => setTimeout(r, 5000))]).finally(() => app.quit());
  });
  // The tray keeps the app alive with every window closed (it's open all day).
  app.on('window-all-closed', () => undefined);
}
