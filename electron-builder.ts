// Packaging for Linux (AppImage, deb), macOS (dmg) and Windows (nsis). Packaging downloads
// Electron, so it runs on release machines, not in CI; `npm run typecheck` keeps this file honest.
import type { Configuration } from 'electron-builder';

const config: Configuration = {
  appId: 'dev.gatehouse.console',
  productName: 'Gatehouse',
  copyright: 'Copyright © 2026 Gatehouse',
  directories: { output: 'dist', buildResources: 'build' },
  files: ['out/**/*', 'package.json', '!**/*.map'],
  // Native modules can't load from inside an asar archive.
  asarUnpack: ['**/*.node'],
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
  },
  linux: {
    target: ['AppImage', 'deb'],
    category: 'Development',
    icon: 'build/icon.png',
    mimeTypes: ['x-scheme-handler/gatehouse'],
    synopsis: 'Approvals console for release managers',
  },
  deb: { depends: ['libnotify4', 'libsecret-1-0'] },
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
