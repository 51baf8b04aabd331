// Web mode opening the browser: the secret-bearing address must not appear in any process's
// arguments (every local user can list them). A fake `xdg-open` first on PATH records what web mode
// hands it; the file it is given is the 0600 redirect page, deleted once the console connected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { IPC_PATH, SECRET_PROTOCOL_PREFIX } from '../../electron/core/web/host.ts';
import { until } from './helpers.ts';

test("the attack: web mode opens the browser without the secret in the opener's arguments", { skip: process.platform !== 'linux' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-webopen-'));
  const bin = join(dir, 'bin');
  const log = join(dir, 'opener-args');
  const data = join(dir, 'data');
  mkdirSync(bin);
  writeFileSync(join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s\\n' "$0" "$@" > '${log}'\n`);
  chmodSync(join(bin, 'xdg-open'), 0o755);
  const child = spawn(process.execPath, ['--import', 'tsx', 'electron/web.ts', '--data', data], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` },
  });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('web mode did not print its address in 60 s')), 60_000);
      createInterface({ input: child.stdout! }).on('line', (l) => {
        if (l.startsWith('open ')) {
          clearTimeout(timer);
          resolve(l);
        }
      });
      child.once('exit', (code) => reject(new Error(`web mode exited with ${code}`)));
    });
    // The printed line keeps its format (the terminal is the user's, not public).
    const m = /^open (http:\/\/127\.0\.0\.1:(\d+))\/#(.+)$/.exec(line);
    assert.ok(m, line);
    const [, origin, port, secret] = m;
    const args = (await until(() => existsSync(log) && readFileSync(log, 'utf8'), 10_000, 'the opener ran')).trim().split('\n').slice(1);
    assert.equal(args.length, 1, args.join(' | '));
    assert.ok(!args[0]!.includes(secret!), `the opener's argument "${args[0]}" carries the secret`);
    assert.ok(!args[0]!.includes(port!), 'not even the address');
    // What it was given is a private redirect page to the secret-bearing address.
    const page = args[0]!;
    assert.equal(statSync(page).mode & 0o777, 0o600);
    assert.ok(readFileSync(page, 'utf8').includes(`${origin}/#${secret}`));
    // The browser follows it and connects: the page is deleted.
    const ws = new WebSocket(`ws://127.0.0.1:${port}${IPC_PATH}`, ['gatehouse', `${SECRET_PROTOCOL_PREFIX}${secret}`], { headers: { origin: origin! } });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.close();
    await until(() => !existsSync(page), 5000, 'the redirect page deleted after the first connection');
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    rmSync(dir, { recursive: true, force: true });
  }
});
