// The composition root of the desktop app, kept thin: it builds the plain-Node core and injects
// Electron's Notification, Tray, safeStorage, paths and windows into it. Every rule lives in
// electron/core, where it is tested without the Electron binary: the lifecycle (single instance,
// early events, the route queue, window re-creation, badge and tray, startup failure) in
// core/shell/lifecycle.ts, which this file hands small adapters over Electron's objects.
import {
  app,
  BrowserWindow,
  dialog,
  Menu,
  Notification,
  Tray,
  ipcMain,
  nativeImage,
  nativeTheme,
  net,
  protocol,
  safeStorage,
  shell,
  type NativeImage,
} from 'electron';
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
import { INVOKE_PREFIX } from './core/shell/ipc-names.ts';
import { APP_ORIGIN, APP_SCHEME, hardenContents, isTrustedSender, windowOptions } from './core/shell/security.ts';
import { applicationMenu, devToolsAllowed, lockDevTools } from './core/shell/devtools.ts';
import { drawCount } from './core/shell/badge.ts';
import { runShell, type ShellTray, type ShellWindow, type WindowEvents } from './core/shell/lifecycle.ts';
import { noSandboxWarning } from './core/shell/sandbox.ts';

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
const log = (line: string) => console.log(`[gatehouse] ${line}`);
const sandboxOff = noSandboxWarning({ noSandboxSwitch: app.commandLine.hasSwitch('no-sandbox'), isPackaged: app.isPackaged });
if (sandboxOff) console.warn(`[gatehouse] ${sandboxOff}`);

app.on('web-contents-created', (_e, contents) => {
  hardenContents(contents, (url) => shell.openExternal(url), EXTERNAL_HOSTS);
  lockDevTools(contents, devTools);
});

runShell({
  app,
  platform: process.platform,
  isPackaged: app.isPackaged,
  defaultApp: process.defaultApp === true,
  execPath: process.execPath,
  argv: process.argv,
  log,
  start: ({ notifications }) => startCore(notifications),
  createWindow,
  createTray,
  notifications: {
    isSupported: () => Notification.isSupported(),
    create: ({ title, body, urgent }) => {
      const n = new Notification({ title, body, urgency: urgent ? 'critical' : 'normal', silent: false });
      return { on: (event, listener) => n.on(event as 'click', listener), show: () => n.show(), close: () => n.close() };
    },
  },
  showStartupError: (message) => dialog.showErrorBox('Gatehouse', message),
});

/** `image` with the count drawn on it (core/shell/badge.ts draws on its pixels). */
function withCount(image: NativeImage, count: number): NativeImage {
  const { width, height } = image.getSize();
  return nativeImage.createFromBitmap(drawCount(image.toBitmap(), width, height, count), { width, height });
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

/**
 * After `ready` and before any window loads: the menu, the app protocol, the core and one IPC
 * handler per contract channel (core/shell/lifecycle.ts opens windows only once this resolved).
 */
async function startCore(notifications: NotificationSink): Promise<DesktopCore> {
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

  // GATEHOUSE_CLOCK pins time for demos during development; a packaged app always runs on real time.
  const { clock, pin } = app.isPackaged ? { clock: systemClock, pin: undefined } : resolveClock(undefined, process.env[CLOCK_ENV]);
  if (pin) process.env[CLOCK_ENV] = formatClockPin(pin);

  const core = await createDesktopCore({
    mode: 'desktop',
    clock,
    dataDir: app.getPath('userData'),
    ...(await safeStorageChoice()),
    notifications,
    // `gatehouse --allow-insecure-http`: sign in over plain http to a host other than this machine.
    allowInsecureHttp: app.commandLine.hasSwitch('allow-insecure-http'),
    // During development (`npm start`) a demo backend runs beside the app; packaged, you sign in.
    ...(app.isPackaged
      ? {}
      : {
          startEmbedded: (dir: string, log: (line: string) => void) =>
            spawnEmbeddedBackend(dir, { node: process.env.npm_node_execpath ?? 'node', root: resolve(here, '../..'), log }),
        }),
    log,
  });
  // Register one handler per contract channel: a channel without a handler can't exist, and each
  // call checks the sender frame before the core parses the input.
  for (const channel of Object.keys(channels)) {
    ipcMain.handle(`${INVOKE_PREFIX}${channel}`, (event, input: unknown) => {
      if (!isTrustedSender(event.senderFrame)) return { ok: false, error: { code: 'forbidden', message: 'IPC from an untrusted frame' } };
      return core.dispatch(channel, input);
    });
  }
  return core;
}

function createWindow(events: WindowEvents): ShellWindow {
  const w = new BrowserWindow({ ...windowOptions(preloadPath, nativeTheme.shouldUseDarkColors, devTools.allowed), icon: join(iconsDir, 'icon.png') });
  w.once('ready-to-show', () => w.show());
  w.webContents.on('did-start-loading', () => events.loading());
  w.webContents.on('did-finish-load', () => events.loaded());
  // A crashed renderer hears nothing until its page is loaded again: queued routes wait for that.
  w.webContents.on('render-process-gone', (_e, details) => {
    events.loading();
    if (details.reason !== 'clean-exit' && !w.isDestroyed()) w.webContents.reload();
  });
  w.on('closed', () => events.closed());
  void w.loadURL(`${APP_ORIGIN}/index.html`);
  const overlayBase = nativeImage.createFromBitmap(Buffer.alloc(16 * 16 * 4), { width: 16, height: 16 });
  return {
    show: () => {
      if (w.isDestroyed()) return;
      if (w.isMinimized()) w.restore();
      w.show();
      w.focus();
    },
    send: (channel, payload) => {
      if (!w.isDestroyed()) w.webContents.send(channel, payload);
    },
    // Windows' taskbar overlay (the lifecycle calls it on Windows only, and again for every new window).
    setOverlayCount: (count) => {
      if (!w.isDestroyed()) w.setOverlayIcon(count ? withCount(overlayBase, count) : null, count ? `${count} awaiting your approval` : '');
    },
  };
}

function createTray(): ShellTray {
  const base = nativeImage.createFromPath(join(iconsDir, process.platform === 'darwin' ? 'trayTemplate.png' : 'tray.png'));
  const tray = new Tray(base);
  return {
    setToolTip: (text) => tray.setToolTip(text),
    setMenu: (items) => tray.setContextMenu(Menu.buildFromTemplate(items)),
    setIconCount: (count) => tray.setImage(count ? withCount(base, count) : base),
    onClick: (listener) => void tray.on('click', listener),
  };
}
