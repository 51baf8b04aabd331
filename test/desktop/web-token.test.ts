// Web mode takes its token for --server without it appearing in any process's arguments:
// --token-file FILE (its first line) or GATEHOUSE_TOKEN, read by the same code as `gatehouse
// deploy` (server/cli/args.ts resolveToken); --token still works but warns on stderr.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { IPC_PATH, SECRET_PROTOCOL_PREFIX } from '../../electron/core/web/host.ts';
import { cleanupTempDirs, killAll } from '../server/harness.ts';
import { demoBackend, RHEA, type Backend } from './helpers.ts';

let backend: Backend;
const dirs: string[] = [];

before(async () => {
  backend = await demoBackend();
});
after(async () => {
  if (backend.server.running) await backend.server.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  killAll();
  cleanupTempDirs();
});

interface Run {
  code: number | null;
  stderr: string;
  cmdline: string;
  session?: { signedIn: boolean; user?: { email: string } };
}

/** Starts web mode, asks session.get over its socket once it prints its address, stops it. */
function runWeb(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'gh-webtoken-'));
  dirs.push(dir);
  const child = spawn(process.execPath, ['--import', 'tsx', 'electron/web.ts', '--data', dir, '--no-open', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, GATEHOUSE_TOKEN: undefined, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise<Run>((resolve, reject) => {
    let run: Run | undefined;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`web mode did not start in 60 s\n${stderr}`));
    }, 60_000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      const m = /^open http:\/\/127\.0\.0\.1:(\d+)\/#(\S+)$/m.exec(stdout);
      if (!m || run) return;
      run = { code: null, stderr: '', cmdline: readFileSync(`/proc/${child.pid}/cmdline`, 'utf8') };
      const ws = new WebSocket(`ws://127.0.0.1:${m[1]}${IPC_PATH}`, ['gatehouse', `${SECRET_PROTOCOL_PREFIX}${m[2]}`], {
        headers: { origin: `http://127.0.0.1:${m[1]}` },
      });
      ws.once('open', () => ws.send(JSON.stringify({ id: 1, channel: 'session.get', input: {} })));
      ws.on('message', (raw) => {
        const msg = JSON.parse(String(raw));
        if (msg.id !== 1) return;
        run!.session = msg.result.data;
        ws.close();
        child.kill('SIGTERM');
      });
      ws.once('error', reject);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ ...(run ?? { cmdline: '' }), code, stderr });
    });
  });
}

test('--token-file FILE: signed in with the file’s first line, no warning, the token in no process argument', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'gh-tokenfile-')), 'token');
  dirs.push(file.slice(0, -'/token'.length));
  writeFileSync(file, `${backend.token(RHEA)}\nsecond line ignored\n`, { mode: 0o600 });
  const r = await runWeb(['--server', backend.url(), '--token-file', file]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.session?.signedIn, true, r.stderr);
  assert.equal(r.session?.user?.email, RHEA);
  assert.doesNotMatch(r.stderr, /warning: --token/);
  assert.ok(!r.cmdline.includes(backend.token(RHEA)), 'the token is not in the arguments');
});

test('GATEHOUSE_TOKEN: signed in, no warning', async () => {
  const r = await runWeb(['--server', backend.url()], { GATEHOUSE_TOKEN: backend.token(RHEA) });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.session?.user?.email, RHEA, r.stderr);
  assert.doesNotMatch(r.stderr, /warning: --token/);
  assert.ok(!r.cmdline.includes(backend.token(RHEA)));
});

test('--token T still works, with a warning on stderr', async () => {
  const r = await runWeb(['--server', backend.url(), '--token', backend.token(RHEA)]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.session?.user?.email, RHEA, r.stderr);
  assert.match(r.stderr, /warning: --token puts the secret in this process's arguments/);
});

test('bad token flags are usage errors (exit 1)', async () => {
  const noServer = await runWeb(['--token-file', '/nonexistent']);
  assert.equal(noServer.code, 1);
  assert.match(noServer.stderr, /--token and --token-file go with --server/);
  const missing = await runWeb(['--server', backend.url(), '--token-file', '/nonexistent/token']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /cannot read --token-file \/nonexistent\/token: no such file/);
  const none = await runWeb(['--server', backend.url()]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /an API token is required: --token-file FILE or GATEHOUSE_TOKEN/);
});
