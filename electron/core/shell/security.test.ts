import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  APP_ORIGIN,
  externalUrlAllowed,
  hardenContents,
  isAppUrl,
  isTrustedSender,
  parseDeepLink,
  windowOptions,
  type ContentsLike,
  type PreventableEvent,
} from './security.ts';
import { rendererCsp } from './csp.ts';

test('the window follows the checklist: isolation, sandbox, no node, no webview, web security on', () => {
  const o = windowOptions('/app/preload.cjs', false);
  assert.deepEqual(
    { ...o.webPreferences },
    {
      preload: '/app/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      safeDialogs: true,
      devTools: false,
    },
  );
  assert.equal(o.show, false);
});

class FakeContents implements ContentsLike {
  listeners = new Map<string, (event: PreventableEvent, url?: string) => void>();
  openHandler?: (d: { url: string }) => { action: 'deny' } | { action: 'allow' };
  permissionRequest?: (wc: unknown, permission: string, cb: (granted: boolean) => void) => void;
  permissionCheck?: (wc: unknown, permission: string) => boolean;
  on(event: string, listener: (event: PreventableEvent, url: string) => void) {
    this.listeners.set(event, listener as (event: PreventableEvent, url?: string) => void);
    return this;
  }
  setWindowOpenHandler(h: (d: { url: string }) => { action: 'deny' } | { action: 'allow' }) {
    this.openHandler = h;
  }
  session = {
    setPermissionRequestHandler: (h: ((wc: unknown, permission: string, cb: (granted: boolean) => void) => void) | null) =>
      void (this.permissionRequest = h ?? undefined),
    setPermissionCheckHandler: (h: ((wc: unknown, permission: string) => boolean) | null) => void (this.permissionCheck = h ?? undefined),
  };
  fire(event: string, url?: string): boolean {
    let prevented = false;
    this.listeners.get(event)!({ preventDefault: () => (prevented = true) }, url);
    return prevented;
  }
}

test('navigation, redirects and webviews are blocked; app URLs stay', () => {
  const c = new FakeContents();
  const opened: string[] = [];
  hardenContents(c, (u) => opened.push(u), ['docs.gatehouse.dev']);
  const table: [string, boolean][] = [
    [`${APP_ORIGIN}/index.html`, false],
    [`${APP_ORIGIN}/#/request/req_abc`, false],
    ['https://evil.example.com/', true],
    ['http://127.0.0.1:8787/', true],
    ['file:///etc/passwd', true],
    ['gatehouse-app://other/index.html', true],
    ['javascript:alert(1)', true],
  ];
  for (const [url, blocked] of table) {
    assert.equal(c.fire('will-navigate', url), blocked, `will-navigate ${url}`);
    assert.equal(c.fire('will-redirect', url), blocked, `will-redirect ${url}`);
  }
  assert.equal(c.fire('will-attach-webview'), true);
  assert.deepEqual(opened, []);
});

test('new windows are always denied; only allow-listed https links go to the browser', () => {
  const c = new FakeContents();
  const opened: string[] = [];
  hardenContents(c, (u) => opened.push(u), ['docs.gatehouse.dev']);
  for (const url of [
    'https://docs.gatehouse.dev/policies',
    'http://docs.gatehouse.dev/',
    'https://docs.gatehouse.dev.evil.com/',
    'https://user:pw@docs.gatehouse.dev/',
    'file:///tmp/x',
    'gatehouse-app://ui/x',
  ]) {
    assert.deepEqual(c.openHandler!({ url }), { action: 'deny' });
  }
  assert.deepEqual(opened, ['https://docs.gatehouse.dev/policies']);
});

test('every permission request and check is denied', () => {
  const c = new FakeContents();
  hardenContents(c, () => undefined, []);
  for (const p of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal']) {
    let granted: boolean | undefined;
    c.permissionRequest!(null, p, (g) => (granted = g));
    assert.equal(granted, false, p);
    assert.equal(c.permissionCheck!(null, p), false, p);
  }
});

test('IPC senders: only our top-level app frame', () => {
  assert.equal(isTrustedSender({ url: `${APP_ORIGIN}/index.html` }), true);
  assert.equal(isTrustedSender({ url: `${APP_ORIGIN}/index.html`, parent: {} }), false);
  assert.equal(isTrustedSender({ url: 'https://evil.example.com/' }), false);
  assert.equal(isTrustedSender(null), false);
  assert.equal(isAppUrl('not a url'), false);
});

test('external URLs: https only, exact host, no credentials', () => {
  assert.equal(externalUrlAllowed('https://docs.gatehouse.dev/x', ['docs.gatehouse.dev']), true);
  assert.equal(externalUrlAllowed('https://DOCS.gatehouse.dev/x', ['docs.gatehouse.dev']), true);
  assert.equal(externalUrlAllowed('https://sub.docs.gatehouse.dev/x', ['docs.gatehouse.dev']), false);
  assert.equal(externalUrlAllowed('ftp://docs.gatehouse.dev/x', ['docs.gatehouse.dev']), false);
  assert.equal(externalUrlAllowed('%%%', ['docs.gatehouse.dev']), false);
});

test('deep links name a request and nothing else', () => {
  assert.deepEqual(parseDeepLink('gatehouse://request/req_abc123'), { kind: 'request', id: 'req_abc123' });
  assert.equal(parseDeepLink('gatehouse://request/../../etc'), undefined);
  assert.equal(parseDeepLink('gatehouse://request/req_abc/extra'), undefined);
  assert.equal(parseDeepLink('https://request/req_abc123'), undefined);
  assert.equal(parseDeepLink('gatehouse://freeze/env_1'), undefined);
});

test('the CSP allows only our own scripts and no framing', () => {
  const csp = rendererCsp({ connectSrc: ['ws://127.0.0.1:5000'] });
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.doesNotMatch(csp, /unsafe-eval/);
  assert.match(csp, /object-src 'none'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.match(csp, /connect-src 'self' ws:\/\/127\.0\.0\.1:5000/);
});
