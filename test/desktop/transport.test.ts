// The desktop core and web mode as the attacks see them: a sign-in (or --server) that would send
// the token over plain http to another machine, and a data directory other users can read.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDesktopCore, type DesktopCore } from '../../electron/core/app.ts';
import type { NotificationSink } from '../../electron/core/contracts.ts';
import { testClock } from '../clock.ts';
import { cleanupTempDirs, killAll, ROOT, tempDir } from '../server/harness.ts';
import { RHEA, demoBackend, until, type Backend, MemorySecrets } from './helpers.ts';

let b: Backend;
before(async () => {
  b = await demoBackend();
});
after(() => {
  killAll();
  cleanupTempDirs();
});

const sink: NotificationSink = { show: () => undefined, close: () => undefined };

async function open(dataDir: string, extra: { allowInsecureHttp?: boolean } = {}): Promise<{ core: DesktopCore; secrets: MemorySecrets }> {
  const secrets = new MemorySecrets();
  const core = await createDesktopCore({
    mode: 'web',
    dataDir,
    clock: testClock,
    secrets,
    notifications: sink,
    server: { url: b.url(), token: b.token(RHEA) },
    ...extra,
  });
  return { core, secrets };
}

const mode = (file: string) => statSync(file).mode & 0o777;

test('attack: session.signIn to http://remote (the token in clear) → refused before any request, still signed in where it was', async () => {
  const { core, secrets } = await open(tempDir());
  try {
    const r = await core.dispatch('session.signIn', { serverUrl: 'http://gatehouse.example.com:8787', token: 'ghs_stolen_if_sent_0123456789' });
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.error.code, 'invalid_input');
    assert.match(r.error.message, /refusing plain http to gatehouse\.example\.com:8787.*https:\/\/gatehouse\.example\.com:8787.*--allow-insecure-http/);
    const s = await core.dispatch('session.get', {});
    assert.ok(s.ok && (s.data as { serverUrl?: string }).serverUrl === b.url(), 'still on the old server');
    assert.equal(secrets.token, b.token(RHEA), 'the stored token is untouched');
  } finally {
    await core.close();
  }
});

test('with allowInsecureHttp (the --allow-insecure-http flag) sign-in goes ahead (and here fails to connect instead)', async () => {
  const { core } = await open(tempDir(), { allowInsecureHttp: true });
  try {
    const r = await core.dispatch('session.signIn', { serverUrl: 'http://gatehouse.invalid:9', token: 'ghs_whatever_0123456789' });
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.doesNotMatch(r.error.message, /refusing plain http/);
  } finally {
    await core.close();
  }
});

test('attack: other users read the desktop data dir → dir 0700, cache, outbox, settings, session 0600, older loose ones tightened', async () => {
  const dir = tempDir();
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'outbox.jsonl'), '', { mode: 0o644 });
  chmodSync(join(dir, 'outbox.jsonl'), 0o644);
  const { core } = await open(dir);
  try {
    const put = await core.dispatch('settings.update', { theme: 'dark' });
    assert.ok(put.ok);
    await until(() => existsSync(join(dir, 'session.json')) && existsSync(join(dir, 'cache.sqlite')), 20_000, 'session and cache written');
    assert.equal(mode(dir), 0o700, 'data dir');
    for (const f of ['outbox.jsonl', 'settings.json', 'session.json', 'cache.sqlite']) assert.equal(mode(join(dir, f)), 0o600, f);
  } finally {
    await core.close();
  }
});

test('attack: web mode --server http://remote → exit 1 suggesting https or --allow-insecure-http', async () => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'electron/web.ts', '--server', 'http://gatehouse.example.com', '--token', 'ghs_x', '--data', tempDir(), '--no-open'],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  // Accepting the URL, web mode would run on: give it 30 s to refuse, then stop it.
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  clearTimeout(timer);
  assert.equal(code, 1, stderr);
  assert.match(stderr, /--server: refusing plain http to gatehouse\.example\.com.*https:\/\/gatehouse\.example\.com.*--allow-insecure-http/);
});
