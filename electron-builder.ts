// Packaging for Linux (AppImage, deb), macOS (dmg) and Windows (nsis): `npm run package` (it builds
// first). Packaging downloads Electron, so it runs on release machines, not in CI;
// `npm run typecheck` keeps this file honest and electron/core/shell/packaging.test.ts checks what
// it ships against electron-builder's own file matcher and defaults.
import type { Configuration } from 'electron-builder';

/**
 * The npm packages Electron's main process loads at run time (out/main/main.js keeps npm packages
 * external). Everything else in `dependencies` is the backend's (better-sqlite3, fastify, ws and
 * theirs, used by `gatehouse serve` and the development-only embedded backend), so it is left out
 * of the app. `diff` is both: Vite bundles it into the renderer, and main loads it for the risk
 * facts Try it and the new request preview compute offline. The test rebuilds main and compares.
 */
export const APP_RUNTIME_PACKAGES = ['@marcbachmann/cel-js', 'diff', 'eventsource-parser', 'ky', 'sql.js', 'zod'] as const;

/**
 * Patterns that leave out of the package every module but `keep`. A scoped name cannot sit in one
 * extglob (its slash ends the segment), so the scope is kept at the top and then filtered inside.
 */
function nodeModulesExcept(keep: readonly string[]): string[] {
  const top = [...new Set(keep.map((name) => name.split('/')[0]!))];
  const scoped = new Map<string, string[]>();
  for (const name of keep) {
    const [scope, inner] = name.split('/');
    if (inner !== undefined) scoped.set(scope!, [...(scoped.get(scope!) ?? []), inner]);
  }
  return [`!node_modules/!(${top.join('|')}){,/**/*}`, ...[...scoped].map(([scope, inner]) => `!node_modules/${scope}/!(${inner.join('|')}){,/**/*}`)];
}

/**
 * electron-builder 26's default deb dependencies (FpmTarget.getDefaultDepends): setting `depends`
 * replaces them, so they are repeated here, then extended.
 */
export const DEB_DEFAULT_DEPENDS = ['libgtk-3-0', 'libnotify4', 'libnss3', 'libxss1', 'libxtst6', 'xdg-utils', 'libatspi2.0-0', 'libuuid1', 'libsecret-1-0'];
/** Ours: notifications (libnotify4) and the keyring safeStorage encrypts the token with (libsecret-1-0). */
const DEB_APP_DEPENDS = ['libnotify4', 'libsecret-1-0'];

const config: Configuration = {
  appId: 'dev.gatehouse.console',
  productName: 'Gatehouse',
  copyright: 'Copyright © 2026 Gatehouse',
  directories: { output: 'dist', buildResources: 'build' },
  // For node_modules electron-builder applies only the exclusions: every package but the app's goes.
  files: ['out/**/*', 'package.json', '!**/*.map', ...nodeModulesExcept(APP_RUNTIME_PACKAGES)],
  // Nothing native ships (sql.js is WebAssembly), so nothing is rebuilt for Electron: rebuilding
  // would also swap the project's better-sqlite3 for an Electron build the backend can't load.
  npmRebuild: false,
  extraResources: [{ from: 'build', to: 'icons', filter: ['tray*.png', 'icon.png'] }],
  protocols: [{ name: 'Gatehouse', schemes: ['gatehouse'] }],
  electronFuses: {
    runAsNode: false,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    enableCookieEncryption: true,
    grantFileProtocolExtraPrivileges: false,
    // Flipping fuses invalidates Electron's ad-hoc signature, and an unsigned arm64 binary is killed
    // at launch: re-sign ad hoc right after (a configured identity still signs afterwards).
    resetAdHocDarwinSignature: true,
  },
  linux: {
    target: ['AppImage', 'deb'],
    category: 'Development',
    icon: 'build/icon.png',
    mimeTypes: ['x-scheme-handler/gatehouse'],
    synopsis: 'Approvals console for release managers',
  },
  deb: { depends: [...new Set([...DEB_DEFAULT_DEPENDS, ...DEB_APP_DEPENDS])] },
  mac: {
    target: ['dmg'],
    category: 'public.app-category.developer-tools',
    icon: 'build/icon.png',
    hardenedRuntime: true,
    entitlements: 'build/entitlements.mac.plist',
    entitlementsInherit: 'build/entitlements.mac.plist',
  },
  dmg: { sign: false },
  win: { target: ['nsis'], icon: 'build/icon.png' },
  nsis: { oneClick: false, perMachine: false, allowToChangeInstallationDirectory: true },
};

export default config;
