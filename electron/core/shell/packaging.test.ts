// electron-builder.ts checked with electron-builder's own code (its file matcher and default deb
// dependencies, from app-builder-lib), without packaging: packaging downloads Electron.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import config, { APP_RUNTIME_PACKAGES } from '../../../electron-builder.ts';
import { DEEP_LINK_SCHEME } from './security.ts';

const root = resolve(import.meta.dirname, '../../..');
const require = createRequire(import.meta.url);

interface Matcher {
  patterns: string[];
  createFilter(): (file: string, stat: { isDirectory(): boolean; moduleFullFilePath?: string }) => boolean;
}
const fileMatcher = require('app-builder-lib/out/fileMatcher.js') as {
  FileMatcher: new (from: string, to: string, expand: (s: string) => string, patterns?: string[]) => Matcher;
  getMainFileMatchers(
    appDir: string,
    to: string,
    expand: (s: string) => string,
    platformOptions: object,
    packager: object,
    outDir: string,
    electronCompile: boolean,
  ): Matcher[];
  getNodeModuleFileMatcher(appDir: string, to: string, expand: (s: string) => string, platformOptions: object, info: object): Matcher;
};
const FpmTarget = (require('app-builder-lib/out/targets/FpmTarget.js') as { default: { prototype: { getDefaultDepends(target: string): string[] } } }).default;

const expand = (s: string) => s;
const info = { projectDir: root, buildResourcesDir: 'build', isPrepackedAppAsar: false, config, debugLogger: { isEnabled: false } };
const file = (relative: string) => ({ isDirectory: () => false, moduleFullFilePath: relative });

/** The production dependency tree from package-lock.json (npm's resolution: nearest node_modules up). */
function productionPackages(): Map<string, string> {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> }>;
  };
  const find = (from: string, name: string): string | undefined => {
    let dir = from;
    for (;;) {
      const key = `${dir ? `${dir}/` : ''}node_modules/${name}`;
      if (lock.packages[key]) return key;
      if (!dir) return undefined;
      const i = dir.lastIndexOf('/node_modules/');
      dir = i < 0 ? '' : dir.slice(0, i);
    }
  };
  const seen = new Map<string, string>();
  const stack = Object.keys(lock.packages['']!.dependencies ?? {}).map((d) => find('', d));
  while (stack.length) {
    const key = stack.pop();
    if (!key || seen.has(key)) continue;
    seen.set(key, key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length));
    const p = lock.packages[key]!;
    for (const d of Object.keys({ ...p.dependencies, ...p.optionalDependencies })) stack.push(find(key, d));
  }
  return seen;
}

test('deb: electron-builder default dependencies are kept (libgtk-3-0, libnss3, xdg-utils…), extended with ours', () => {
  const depends = config.deb?.depends as string[];
  const defaults = FpmTarget.prototype.getDefaultDepends.call(null, 'deb');
  assert.ok(defaults.includes('libgtk-3-0'), 'electron-builder still has the defaults this test expects');
  for (const d of [...defaults, 'libgtk-3-0', 'libnss3', 'xdg-utils', 'libnotify4', 'libsecret-1-0']) assert.ok(depends.includes(d), `deb depends on ${d}`);
  assert.equal(new Set(depends).size, depends.length, 'no duplicates');
});

test('the gatehouse: protocol is declared for every platform (protocols, and the deb/AppImage MIME type)', () => {
  const schemes = (config.protocols as { schemes: string[] }[]).flatMap((p) => p.schemes);
  assert.deepEqual(schemes, [DEEP_LINK_SCHEME]);
  assert.ok((config.linux?.mimeTypes ?? []).includes(`x-scheme-handler/${DEEP_LINK_SCHEME}`));
});

test('server-only modules (better-sqlite3, fastify, ws, @fastify/*) and everything the app does not load stay out of the package', () => {
  const nm = fileMatcher.getNodeModuleFileMatcher(root, '/pkg/app', expand, {}, info);
  const shipped = (key: string) => {
    const dir = join(root, key);
    const filter = new fileMatcher.FileMatcher(dir, join('/pkg/app', key), expand, nm.patterns).createFilter();
    return filter(join(dir, 'package.json'), file(`${key}/package.json`));
  };
  const packages = productionPackages();
  const names = new Set(packages.values());
  for (const m of ['better-sqlite3', 'fastify', 'ws', '@fastify/error', '@fastify/ajv-compiler', 'pino', 'diff'])
    assert.ok(names.has(m), `${m} is a production dependency`);
  for (const [key, name] of packages) assert.equal(shipped(key), (APP_RUNTIME_PACKAGES as readonly string[]).includes(name), `${name} shipped?`);
  for (const name of APP_RUNTIME_PACKAGES) assert.ok(shipped(`node_modules/${name}`), `${name} ships`);
  assert.equal(config.npmRebuild, false, 'nothing native is rebuilt for Electron');

  const [main] = fileMatcher.getMainFileMatchers(root, '/pkg/app', expand, {}, { info }, join(root, 'dist'), false);
  const app = main!.createFilter();
  const inApp = (p: string) => app(join(root, p), { isDirectory: () => false });
  assert.ok(inApp('out/main/main.js') && inApp('out/preload/preload.cjs') && inApp('out/renderer/index.html') && inApp('package.json'));
  for (const p of ['out/main/main.js.map', 'server/cli.ts', 'electron/main.ts', 'electron-builder.ts', 'renderer/src/main.ts', 'dist/x.AppImage'])
    assert.equal(inApp(p), false, p);
});

test('APP_RUNTIME_PACKAGES is exactly what the bundled main process imports; no server code is bundled', async () => {
  const out = await build({
    entryPoints: [join(root, 'electron/main.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    write: false,
    metafile: true,
    outfile: '/tmp/gatehouse-main-check.js',
    logLevel: 'silent',
  });
  const [output] = Object.values(out.metafile.outputs);
  const bare = new Set(
    output!.imports
      .filter((i) => i.external && !i.path.startsWith('node:') && i.path !== 'electron')
      .map((i) => (i.path.startsWith('@') ? i.path.split('/').slice(0, 2).join('/') : i.path.split('/')[0]!)),
  );
  assert.deepEqual([...bare].sort(), [...APP_RUNTIME_PACKAGES].sort());
  const serverInputs = Object.keys(out.metafile.inputs).filter((p) => p.startsWith('server/'));
  assert.deepEqual(serverInputs, ['server/constants.ts']);
});

test('macOS: fuses are flipped, then the app is signed again ad hoc', () => {
  assert.equal(config.electronFuses?.resetAdHocDarwinSignature, true);
  assert.equal(config.electronFuses?.runAsNode, false);
  assert.equal(config.electronFuses?.onlyLoadAppFromAsar, true);
});
