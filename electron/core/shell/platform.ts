// What differs per platform in the shell, as plain functions: how the `gatehouse:` protocol is
// registered (a development run must name Electron's binary and the app's path, or Windows opens
// Electron's error dialog), the Windows AppUserModelID (the installer's appId, so toasts belong to
// Gatehouse and not to electron.app.Electron), and which deep links a command line carries.
import { resolve } from 'node:path';
import { DEEP_LINK_SCHEME, parseDeepLink } from './security.ts';

/** electron-builder's `appId` (electron-builder.ts); the installer gives its shortcut this AUMID. */
export const APP_ID = 'dev.gatehouse.console';

export interface ProtocolRegistration {
  scheme: string;
  /** Set in development only: the executable the OS must start (Electron's binary)… */
  path?: string;
  /** …and the arguments it needs to find the app (its directory). */
  args?: string[];
}

/**
 * The arguments of `app.setAsDefaultProtocolClient` (and `isDefaultProtocolClient`). A packaged app
 * is its own executable. A development run (`electron .`, `process.defaultApp`) is Electron's
 * binary plus the app's directory: registered bare, a link would start Electron without the app.
 */
export function protocolRegistration(o: { defaultApp: boolean; execPath: string; argv: readonly string[]; cwd?: string }): ProtocolRegistration {
  if (!o.defaultApp) return { scheme: DEEP_LINK_SCHEME };
  const appPath = o.argv[1];
  if (appPath === undefined || appPath.startsWith('-')) return { scheme: DEEP_LINK_SCHEME, path: o.execPath, args: [] };
  return { scheme: DEEP_LINK_SCHEME, path: o.execPath, args: [o.cwd ? resolve(o.cwd, appPath) : resolve(appPath)] };
}

/**
 * The AppUserModelID on Windows: the installer's appId when packaged (its Start-menu shortcut
 * carries it, which is what lets toasts show and name the app). A development run has no such
 * shortcut; Electron's documentation uses the executable's path there.
 */
export function appUserModelId(o: { isPackaged: boolean; execPath: string }): string {
  return o.isPackaged ? APP_ID : o.execPath;
}

/** The request routes named by `gatehouse://request/<id>` arguments (argv on Windows and Linux, open-url on macOS). */
export function deepLinkRoutes(args: readonly string[]): string[] {
  const routes: string[] = [];
  for (const arg of args) {
    const link = parseDeepLink(arg);
    if (link) routes.push(`/request/${link.id}`);
  }
  return routes;
}
