// Electron's security recommendations as plain functions over a narrow surface: windows with
// context isolation, the sandbox and no Node integration; the app served from its own scheme,
// never file://; no navigation, redirect or webview away from it; new windows denied (allowed
// links open in the browser); every permission refused; IPC answered only for the app's own frame.
// main.ts only wires them, so the rules are unit-tested without the Electron binary (the CSP is
// in csp.ts).

/** The renderer is served from this privileged custom scheme, never from file:// or http. */
export const APP_SCHEME = 'gatehouse-app';
export const APP_ORIGIN = `${APP_SCHEME}://ui`;
/** Deep links: gatehouse://request/<id>. */
export const DEEP_LINK_SCHEME = 'gatehouse';

export interface WebPreferencesLike {
  preload: string;
  contextIsolation: boolean;
  sandbox: boolean;
  nodeIntegration: boolean;
  nodeIntegrationInWorker: boolean;
  nodeIntegrationInSubFrames: boolean;
  webSecurity: boolean;
  allowRunningInsecureContent: boolean;
  webviewTag: boolean;
  experimentalFeatures: boolean;
  navigateOnDragDrop: boolean;
  spellcheck: boolean;
  safeDialogs: boolean;
  devTools: boolean;
}

/** `devTools`: only in development (devtools.ts's devToolsAllowed); off unless asked for. */
export function windowOptions(preload: string, dark: boolean, devTools = false) {
  return {
    width: 1280,
    height: 800,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'Gatehouse',
    backgroundColor: dark ? '#111317' : '#ffffff',
    webPreferences: {
      preload,
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
      devTools,
    } satisfies WebPreferencesLike,
  };
}

export function isAppUrl(raw: string): boolean {
  try {
    const u = new URL(raw);
    return u.protocol === `${APP_SCHEME}:` && u.host === 'ui';
  } catch {
    return false;
  }
}

/**
 * Only https links to hosts on the allow-list leave the app, to the user's browser. Anything else
 * (file:, javascript:, http:, custom schemes, look-alike hosts) is refused.
 */
export function externalUrlAllowed(raw: string, allowedHosts: readonly string[]): boolean {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return false;
  }
  if (u.protocol !== 'https:' || u.username || u.password) return false;
  const host = u.hostname.toLowerCase();
  return allowedHosts.some((h) => host === h.toLowerCase());
}

/** IPC is answered only for our own top-level app frame. */
export function isTrustedSender(frame: { url: string; parent?: unknown } | null | undefined): boolean {
  return !!frame && !frame.parent && isAppUrl(frame.url);
}

export interface PreventableEvent {
  preventDefault(): void;
}

/** The slice of webContents the hardening needs (Electron's type satisfies it). */
export interface ContentsLike {
  on(event: 'will-navigate' | 'will-redirect', listener: (event: PreventableEvent, url: string) => void): unknown;
  on(event: 'will-attach-webview', listener: (event: PreventableEvent) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' } | { action: 'allow' }): void;
  session: {
    setPermissionRequestHandler(handler: ((wc: unknown, permission: string, callback: (granted: boolean) => void) => void) | null): void;
    setPermissionCheckHandler(handler: ((wc: unknown, permission: string) => boolean) | null): void;
  };
}

export function hardenContents(contents: ContentsLike, openExternal: (url: string) => unknown, allowedExternalHosts: readonly string[]): void {
  const stayInApp = (event: PreventableEvent, url: string) => {
    if (!isAppUrl(url)) event.preventDefault();
  };
  contents.on('will-navigate', stayInApp);
  contents.on('will-redirect', stayInApp);
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (externalUrlAllowed(url, allowedExternalHosts)) void openExternal(url);
    return { action: 'deny' };
  });
  contents.session.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  contents.session.setPermissionCheckHandler(() => false);
}

/** `gatehouse://request/<id>` → the request id, or undefined for anything else. */
export function parseDeepLink(raw: string): { kind: 'request'; id: string } | undefined {
  try {
    const u = new URL(raw);
    if (u.protocol !== `${DEEP_LINK_SCHEME}:`) return undefined;
    const parts = `${u.host}${u.pathname}`.split('/').filter(Boolean);
    if (parts.length === 2 && parts[0] === 'request' && /^req_[a-z0-9]{4,64}$/.test(parts[1]!)) return { kind: 'request', id: parts[1]! };
    return undefined;
  } catch {
    return undefined;
  }
}
