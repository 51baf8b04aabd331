import { test } from 'node:test';
import assert from 'node:assert/strict';
import builderConfig from '../../../electron-builder.ts';
import type { NotificationSink } from '../contracts.ts';
import type { EventName, NoticeTarget } from '../../../shared/ipc.ts';
import { EVENT_PREFIX } from './ipc-names.ts';
import {
  runShell,
  type AppLike,
  type NotificationLike,
  type ShellCore,
  type ShellDeps,
  type ShellTray,
  type ShellWindow,
  type TrayMenuItem,
  type WindowEvents,
} from './lifecycle.ts';
import { APP_ID, appUserModelId, protocolRegistration } from './platform.ts';

const REQ = 'req_abc123';
const LINK = `gatehouse://request/${REQ}`;
const tick = () => new Promise((r) => setImmediate(r));

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

class FakeApp implements AppLike {
  log: string[] = [];
  listeners = new Map<string, ((...a: any[]) => void)[]>();
  lock = true;
  lockHeld = false;
  ready = deferred();
  badgeWorks = true;
  badge: number | undefined;
  protocolArgs: unknown[] | undefined;
  aumid: string | undefined;
  exitCode: number | undefined;
  quits = 0;
  requestSingleInstanceLock() {
    this.log.push('lock');
    this.lockHeld = this.lock;
    return this.lock;
  }
  releaseSingleInstanceLock() {
    this.log.push('release-lock');
    this.lockHeld = false;
  }
  whenReady() {
    return this.ready.promise;
  }
  quit() {
    this.quits++;
  }
  exit(code?: number) {
    this.exitCode = code ?? 0;
  }
  on(event: string, listener: (...a: any[]) => void) {
    this.log.push(`on:${event}`);
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }
  emit(event: string, ...args: unknown[]): boolean {
    let prevented = false;
    const e = { preventDefault: () => (prevented = true) };
    for (const l of this.listeners.get(event) ?? []) l(...(event === 'activate' || event === 'window-all-closed' ? args : [e, ...args]));
    return prevented;
  }
  isDefaultProtocolClient() {
    return false;
  }
  setAsDefaultProtocolClient(...args: unknown[]) {
    this.protocolArgs = args;
    return true;
  }
  setAppUserModelId(id: string) {
    this.aumid = id;
  }
  setBadgeCount(count?: number) {
    if (!this.badgeWorks) return false;
    this.badge = count;
    return true;
  }
}

class FakeWindow implements ShellWindow {
  sent: { channel: string; payload: unknown }[] = [];
  shown = 0;
  overlay: number | undefined;
  constructor(readonly events: WindowEvents) {}
  show() {
    this.shown++;
  }
  send(channel: string, payload: unknown) {
    this.sent.push({ channel, payload });
  }
  setOverlayCount(count: number) {
    this.overlay = count;
  }
  routes() {
    return this.sent.filter((s) => s.channel === `${EVENT_PREFIX}navigate`).map((s) => (s.payload as { route: string }).route);
  }
}

class FakeTray implements ShellTray {
  tooltip = '';
  menu: TrayMenuItem[] = [];
  iconCount: number | undefined;
  click?: () => void;
  setToolTip(t: string) {
    this.tooltip = t;
  }
  setMenu(items: TrayMenuItem[]) {
    this.menu = items;
  }
  setIconCount(n: number) {
    this.iconCount = n;
  }
  onClick(l: () => void) {
    this.click = l;
  }
  item(label: RegExp) {
    const item = this.menu.find((i) => 'label' in i && label.test(i.label));
    assert.ok(item && 'click' in item, `a tray item ${label}`);
    return item;
  }
}

class FakeNotification implements NotificationLike {
  listeners = new Map<string, () => void>();
  shown = false;
  closed = false;
  constructor(readonly spec: { title: string; body: string; urgent: boolean }) {}
  on(event: string, l: () => void) {
    this.listeners.set(event, l);
    return this;
  }
  show() {
    this.shown = true;
  }
  close() {
    this.closed = true;
  }
}

class FakeCore implements ShellCore {
  listeners: ((event: EventName, payload: unknown) => void)[] = [];
  countListeners: ((n: number) => void)[] = [];
  count = 0;
  closed = false;
  targets = new Map<string, NoticeTarget>();
  subscribe(l: (event: EventName, payload: unknown) => void) {
    this.listeners.push(l);
    return () => undefined;
  }
  emit(event: EventName, payload: unknown) {
    for (const l of this.listeners) l(event, payload);
  }
  notificationTarget(id: string) {
    return this.targets.get(id);
  }
  approvableCount() {
    return this.count;
  }
  onApprovableCount(l: (n: number) => void) {
    this.countListeners.push(l);
    return () => undefined;
  }
  setCount(n: number) {
    this.count = n;
    for (const l of this.countListeners) l(n);
  }
  async close() {
    this.closed = true;
  }
}

function harness(o: Partial<ShellDeps> & { platform?: NodeJS.Platform; failStart?: Error; supported?: boolean } = {}) {
  const app = new FakeApp();
  const core = new FakeCore();
  const windows: FakeWindow[] = [];
  const trays: FakeTray[] = [];
  const notes: FakeNotification[] = [];
  const logs: string[] = [];
  const errors: string[] = [];
  const started = deferred();
  let sink: NotificationSink | undefined;
  const deps: ShellDeps = {
    app,
    platform: o.platform ?? 'linux',
    isPackaged: true,
    defaultApp: false,
    execPath: '/opt/Gatehouse/gatehouse',
    argv: ['/opt/Gatehouse/gatehouse'],
    log: (l) => void logs.push(l),
    start: async (ctx) => {
      app.log.push('start');
      sink = ctx.notifications;
      await started.promise;
      if (o.failStart) throw o.failStart;
      app.log.push('handlers-registered');
      return core;
    },
    createWindow: (events) => {
      app.log.push('window');
      const w = new FakeWindow(events);
      windows.push(w);
      return w;
    },
    createTray: () => {
      const t = new FakeTray();
      trays.push(t);
      return t;
    },
    notifications: {
      isSupported: () => o.supported ?? true,
      create: (spec) => {
        const n = new FakeNotification(spec);
        notes.push(n);
        return n;
      },
    },
    showStartupError: (m) => void errors.push(m),
    ...o,
  };
  const shell = runShell(deps);
  const boot = async () => {
    app.ready.resolve();
    started.resolve();
    return shell.outcome;
  };
  return { app, core, windows, trays, notes, logs, errors, shell, started, boot, sink: () => sink!, last: () => windows.at(-1)! };
}

test('a cold start from a link on Windows and Linux (argv) lands on the request, once the console has loaded', async () => {
  for (const platform of ['win32', 'linux'] as const) {
    const h = harness({ platform, argv: ['C:\\Gatehouse\\Gatehouse.exe', '--allow-file-access-from-files', LINK] });
    assert.equal(await h.boot(), 'started');
    assert.equal(h.windows.length, 1);
    assert.deepEqual(h.last().routes(), [], 'nothing is sent before did-finish-load (the renderer would drop it)');
    h.last().events.loaded();
    assert.deepEqual(h.last().routes(), [`/request/${REQ}`], platform);
    h.last().events.loaded();
    assert.deepEqual(h.last().routes(), [`/request/${REQ}`], 'delivered once');
  }
});

test('a cold start from a link on macOS (open-url before ready) lands on the request; the event is taken from the OS', async () => {
  const h = harness({ platform: 'darwin' });
  assert.equal(h.app.emit('open-url', LINK), true, 'preventDefault called');
  assert.equal(h.windows.length, 0, 'no window before the core and its handlers exist');
  await h.boot();
  h.last().events.loaded();
  assert.deepEqual(h.last().routes(), [`/request/${REQ}`]);
});

test('a second-instance during startup queues its link: no window, no handler missing, delivered after load', async () => {
  const h = harness({ platform: 'win32' });
  h.app.ready.resolve();
  await tick();
  assert.ok(h.app.log.includes('start'));
  // The core is still being built: the old code read `ready` before it was defined here.
  h.app.emit('second-instance', ['gatehouse.exe', LINK], 'C:\\');
  assert.equal(h.windows.length, 0);
  h.started.resolve();
  assert.equal(await h.shell.outcome, 'started');
  const log = h.app.log;
  assert.ok(log.indexOf('handlers-registered') < log.indexOf('window'), 'IPC handlers exist before any window loads');
  assert.equal(h.windows.length, 1, 'one window for startup and the link');
  h.last().events.loaded();
  assert.deepEqual(h.last().routes(), [`/request/${REQ}`]);
  // Every early event was listened to before the first await.
  for (const e of ['second-instance', 'open-url', 'activate', 'window-all-closed', 'before-quit']) assert.ok(log.indexOf(`on:${e}`) < log.indexOf('start'), e);
  assert.equal(log[0], 'lock');
});

test('the app sits in the tray with its window closed: a notification click and a link create the window and land once it loads', async () => {
  const h = harness();
  h.core.targets.set('n1', { kind: 'request', id: REQ });
  await h.boot();
  h.last().events.loaded();
  h.last().events.closed();

  h.sink().show({ id: 'n1', title: 'Deploy checkout', body: 'to production' });
  const n = h.notes[0]!;
  assert.equal(n.shown, true);
  n.listeners.get('click')!();
  assert.equal(h.windows.length, 2, 'the window is created again');
  const second = h.last();
  assert.deepEqual(second.sent, [], 'nothing before load');
  second.events.loading();
  second.events.loaded();
  assert.deepEqual(second.sent, [{ channel: `${EVENT_PREFIX}notification.clicked`, payload: { target: { kind: 'request', id: REQ } } }]);

  second.events.closed();
  h.app.emit('second-instance', ['gatehouse', 'gatehouse://request/req_zzzz9999'], '/');
  assert.equal(h.windows.length, 3);
  h.last().events.loaded();
  assert.deepEqual(h.last().routes(), ['/request/req_zzzz9999']);

  // The tray's "Freeze environment…" with the window closed.
  h.last().events.closed();
  h.trays[0]!.item(/Freeze/).click();
  h.last().events.loaded();
  assert.deepEqual(h.last().routes(), ['/environments']);
  assert.equal(h.windows.length, 4);

  // With the window open, a link goes straight through and the window comes forward.
  const open = h.last();
  h.app.emit('second-instance', ['gatehouse', LINK], '/');
  assert.equal(h.windows.length, 4);
  assert.ok(open.shown > 0);
  assert.deepEqual(open.routes(), ['/environments', `/request/${REQ}`]);
  // A reload drops IPC until the new document has loaded.
  open.events.loading();
  h.shell.navigate('/inbox');
  assert.deepEqual(open.routes(), ['/environments', `/request/${REQ}`]);
  open.events.loaded();
  assert.deepEqual(open.routes(), ['/environments', `/request/${REQ}`, '/inbox']);
});

test('activate (a Dock click with the window closed) opens the window again; the tray click too', async () => {
  const h = harness({ platform: 'darwin' });
  h.app.emit('activate');
  assert.equal(h.windows.length, 0, 'activate before startup opens nothing early');
  await h.boot();
  assert.equal(h.windows.length, 1);
  h.last().events.closed();
  h.app.emit('activate');
  assert.equal(h.windows.length, 2);
  h.app.emit('activate');
  assert.equal(h.windows.length, 2, 'an open window is shown, not duplicated');
  assert.equal(h.last().shown, 1);
  h.last().events.closed();
  h.trays[0]!.click!();
  assert.equal(h.windows.length, 3);
  // window-all-closed does not quit: the tray keeps the app running.
  h.app.emit('window-all-closed');
  assert.equal(h.app.quits, 0);
});

test('a startup failure is shown, releases the single-instance lock and exits', async () => {
  const h = harness({ failStart: new Error('cache file is corrupt') });
  assert.equal(h.app.lockHeld, true);
  assert.equal(await h.boot(), 'failed');
  assert.equal(h.app.lockHeld, false, 'the next launch can start');
  assert.equal(h.app.exitCode, 1);
  assert.equal(h.windows.length, 0);
  assert.equal(h.trays.length, 0);
  assert.match(h.errors[0]!, /cache file is corrupt/);
  assert.ok(h.logs.some((l) => /startup failed/.test(l)));
  // A link arriving afterwards opens nothing.
  h.app.emit('second-instance', ['x', LINK], '/');
  assert.equal(h.windows.length, 0);
});

test('a second instance quits at once, before listening to anything', async () => {
  const a = new FakeApp();
  a.lock = false;
  const s = runShell({
    app: a,
    platform: 'linux',
    isPackaged: true,
    defaultApp: false,
    execPath: '/x',
    argv: ['/x', LINK],
    log: () => undefined,
    start: async () => assert.fail('must not start'),
    createWindow: () => assert.fail('no window'),
    createTray: () => assert.fail('no tray'),
    notifications: { isSupported: () => true, create: () => assert.fail('no notification') },
  });
  assert.equal(await s.outcome, 'second-instance');
  assert.equal(a.quits, 1);
  assert.deepEqual(a.log, ['lock']);
});

test('quitting flushes the core, but never hangs on it', async () => {
  const h = harness();
  await h.boot();
  assert.equal(h.app.emit('before-quit'), true, 'the first quit waits for the core');
  await tick();
  assert.equal(h.core.closed, true);
  assert.equal(h.app.quits, 1);
  assert.equal(h.app.emit('before-quit'), false, 'then lets the quit through');

  const stuck = harness({ quitTimeoutMs: 5 });
  stuck.core.close = () => new Promise(() => undefined);
  await stuck.boot();
  stuck.app.emit('before-quit');
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(stuck.app.quits, 1);
});

test('the badge fallback: the tray icon shows the count where app badges do not exist, and the Windows overlay comes back with the window', async () => {
  // Linux under Unity: the launcher badge works, the tray icon stays plain.
  const unity = harness({ platform: 'linux' });
  unity.core.count = 3;
  await unity.boot();
  assert.equal(unity.app.badge, 3);
  assert.equal(unity.trays[0]!.iconCount, 0);
  assert.match(unity.trays[0]!.tooltip, /3 awaiting/);

  // GNOME, KDE…: setBadgeCount returns false, so the count is drawn on the tray icon.
  const gnome = harness({ platform: 'linux' });
  gnome.app.badgeWorks = false;
  gnome.core.count = 4;
  await gnome.boot();
  assert.equal(gnome.trays[0]!.iconCount, 4);
  gnome.core.setCount(12);
  assert.equal(gnome.trays[0]!.iconCount, 12);
  assert.match(String(gnome.trays[0]!.menu[0] && 'label' in gnome.trays[0]!.menu[0] ? gnome.trays[0]!.menu[0].label : ''), /12 awaiting/);
  gnome.core.setCount(0);
  assert.equal(gnome.trays[0]!.iconCount, 0);

  // macOS: the Dock badge.
  const mac = harness({ platform: 'darwin' });
  mac.core.count = 2;
  await mac.boot();
  assert.equal(mac.app.badge, 2);
  assert.equal(mac.trays[0]!.iconCount, 0);

  // Windows: no app badge; the tray always shows the count, and the taskbar overlay is re-applied
  // to every new window.
  const win = harness({ platform: 'win32' });
  win.core.count = 5;
  await win.boot();
  assert.equal(win.app.badge, undefined);
  assert.equal(win.trays[0]!.iconCount, 5);
  assert.equal(win.last().overlay, 5);
  win.core.setCount(6);
  assert.equal(win.last().overlay, 6);
  win.last().events.closed();
  win.core.setCount(7);
  win.trays[0]!.click!();
  assert.equal(win.windows.length, 2);
  assert.equal(win.last().overlay, 7, 'the recreated window has the overlay');
  assert.equal(win.trays[0]!.iconCount, 7);
});

test('notifications: not created where unsupported; released when closed, clicked or failed; replaced by id', async () => {
  const none = harness({ supported: false });
  await none.boot();
  none.sink().show({ id: 'a', title: 't', body: 'b' });
  none.sink().show({ id: 'b', title: 't', body: 'b' });
  assert.equal(none.notes.length, 0);
  assert.equal(none.logs.filter((l) => /not supported/.test(l)).length, 1, 'said once');

  const h = harness();
  await h.boot();
  h.sink().show({ id: 'a', title: 'one', body: 'b', urgent: true });
  assert.equal(h.notes[0]!.spec.urgent, true);
  h.sink().show({ id: 'a', title: 'two', body: 'b' });
  assert.equal(h.notes[0]!.closed, true, 'the same id replaces the earlier one');
  // Closing an earlier one later does not release the newer one.
  h.notes[0]!.listeners.get('close')!();
  h.sink().close('a');
  assert.equal(h.notes[1]!.closed, true);
  h.sink().show({ id: 'c', title: 'c', body: 'b' });
  h.notes[2]!.listeners.get('failed')!();
  h.sink().close('c');
  assert.equal(h.notes[2]!.closed, false, 'a released notification is not touched again');
  // A click without a target (the request is gone) still brings the window up.
  h.last().events.closed();
  h.sink().show({ id: 'd', title: 'd', body: 'b' });
  h.notes[3]!.listeners.get('click')!();
  assert.equal(h.windows.length, 2);
});

test('the AUMID is electron-builder appId when packaged (Windows), set before ready; development uses the executable', async () => {
  assert.equal(APP_ID, builderConfig.appId);
  assert.equal(appUserModelId({ isPackaged: true, execPath: 'C:\\x.exe' }), builderConfig.appId);
  assert.equal(appUserModelId({ isPackaged: false, execPath: 'C:\\electron.exe' }), 'C:\\electron.exe');
  const h = harness({ platform: 'win32' });
  assert.equal(h.app.aumid, builderConfig.appId, 'before whenReady resolves');
  const linux = harness({ platform: 'linux' });
  assert.equal(linux.app.aumid, undefined);
});

test('the protocol: packaged apps register the bare scheme; development names Electron and the app directory', async () => {
  const schemes = (builderConfig.protocols as { schemes: string[] }[]).flatMap((p) => p.schemes);
  assert.deepEqual(protocolRegistration({ defaultApp: false, execPath: '/opt/G/gatehouse', argv: ['/opt/G/gatehouse'] }), { scheme: 'gatehouse' });
  assert.ok(schemes.includes(protocolRegistration({ defaultApp: false, execPath: '', argv: [] }).scheme));
  assert.deepEqual(protocolRegistration({ defaultApp: true, execPath: '/n/electron', argv: ['/n/electron', '.'], cwd: '/work/app' }), {
    scheme: 'gatehouse',
    path: '/n/electron',
    args: ['/work/app'],
  });
  const h = harness({ isPackaged: false, defaultApp: true, execPath: '/n/electron', argv: ['/n/electron', '.'] });
  assert.deepEqual(h.app.protocolArgs, ['gatehouse', '/n/electron', [process.cwd()]]);
  const p = harness();
  assert.deepEqual(p.app.protocolArgs, ['gatehouse']);
});
