import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LAUNCH_PAGE, launchPage, openInBrowser, openerCommand } from './open-browser.ts';

const URL_WITH_SECRET = 'http://127.0.0.1:41234/#s3cr3t-Abc_123';

test('the attack: the opener is never given the secret; it gets a 0600 redirect page that carries it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-open-'));
  try {
    for (const platform of ['linux', 'darwin', 'win32'] as const) {
      const calls: { command: string; args: string[] }[] = [];
      const fakeSpawn = (command: string, args: string[]) => {
        calls.push({ command, args });
        return { on: () => undefined, unref: () => undefined };
      };
      const opened = await openInBrowser({ dataDir: dir, openUrl: URL_WITH_SECRET, platform, spawn: fakeSpawn });
      assert.equal(calls.length, 1);
      assert.equal(calls[0]!.command, { linux: 'xdg-open', darwin: 'open', win32: 'explorer' }[platform]);
      assert.deepEqual(calls[0]!.args, [join(dir, LAUNCH_PAGE)]);
      assert.ok(!calls[0]!.args.join(' ').includes('s3cr3t'), 'no secret in the arguments');
      assert.match(readFileSync(opened.file, 'utf8'), /http-equiv="refresh" content="0;url=http:\/\/127\.0\.0\.1:41234\/#s3cr3t-Abc_123"/);
      if (process.platform !== 'win32') assert.equal(statSync(opened.file).mode & 0o777, 0o600);
      await opened.discard();
      await opened.discard();
      assert.equal(existsSync(opened.file), false);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the redirect page only ever points at loopback http, escaped', () => {
  assert.throws(() => launchPage('https://evil.example/#x'), /loopback/);
  assert.throws(() => launchPage('file:///etc/passwd'), /loopback/);
  const page = launchPage('http://localhost:5000/#a"b<c');
  assert.ok(!page.includes('a"b<c'));
  assert.deepEqual(openerCommand('freebsd', '/x/open.html'), { command: 'xdg-open', args: ['/x/open.html'] });
});
