// The `app` fixture: a fresh web mode per test (its own temp data dir, so its own embedded demo
// backend filled by `gatehouse demo`, signed in as the release manager Rhea Manning), the page
// opened at the address it prints, and everything stopped and removed afterwards.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test as base, expect, type Page } from '@playwright/test';
import { clockAt } from '../clock.ts';
import { SAME_AS_REAL_CLOCK_WHEN_PINNED } from './lane-env.ts';

export interface WebApp {
  /** `http://127.0.0.1:PORT/#<secret>` */
  openUrl: string;
  dataDir: string;
  /** Everything web mode printed on stderr so far (for failure messages). */
  log(): string;
}

const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

async function startWebMode(clock: string | undefined): Promise<{ app: WebApp; stop: () => Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-'));
  const clockArgs = clock ? ['--clock', clockAt(clock).flag] : [];
  // detached: its own process group, so the embedded backend it starts is stopped with it.
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'electron/web.ts', '--no-open', '--data', dataDir, ...clockArgs], {
    cwd: process.cwd(),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, NODE_ENV: 'test' },
  });
  let stdout = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), STOP_TIMEOUT_MS).unref());
      if ((await Promise.race([exited.then(() => 'exited' as const), timer])) === 'timeout') {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
        await exited;
      }
    }
    // Stray children of the group (the embedded backend) go too.
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // none left
    }
    rmSync(dataDir, { recursive: true, force: true });
  };

  const openUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`web mode did not print its address within ${START_TIMEOUT_MS} ms\n${stderr}`)), START_TIMEOUT_MS);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      const m = /^open (http:\/\/\S+)$/m.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`web mode exited (${code}) before printing its address\n${stderr}`));
    });
  }).catch(async (err: unknown) => {
    await stop();
    throw err;
  });
  return { app: { openUrl, dataDir, log: () => stderr }, stop };
}

/**
 * Instants for tests whose outcome depends on the time (the demo's Off-Hours Change Gate applies
 * 18:00–09:00 and at weekends in Istanbul). Every other test must pass at any instant: the
 * pinned-instant matrix (test/matrix.ts) runs them at several.
 */
export const ISTANBUL_TUESDAY_11 = '2026-03-10T11:00:00+03:00';
export const ISTANBUL_TUESDAY_21 = '2026-03-10T21:00:00+03:00';

export const test = base.extend<{ app: WebApp; clock: string | undefined }>({
  /** The instant web mode (and its embedded backend) starts at; undefined: the ambient clock. */
  clock: [undefined, { option: true }],
  app: async ({ page, clock }, use, testInfo) => {
    // A test that pins its own instant, in a lane whose only difference from the real-clock lane
    // is the instant, would be the real-clock lane's run again: the matrix says so, and it is skipped.
    testInfo.skip(
      clock !== undefined && process.env[SAME_AS_REAL_CLOCK_WHEN_PINNED] === '1',
      'pins its own instant in the machine zone: the real-clock lane runs it',
    );
    const { app, stop } = await startWebMode(clock);
    try {
      await page.goto(app.openUrl);
      await expect(page.getByRole('status')).toContainText(/Online|Syncing/, { timeout: 20_000 });
      await use(app);
    } finally {
      if (testInfo.status !== testInfo.expectedStatus) await testInfo.attach('web-mode.log', { body: app.log(), contentType: 'text/plain' });
      await stop();
    }
  },
});

export { expect };

/** The inbox list and its loaded rows. */
export function inboxList(page: Page) {
  return page.getByRole('list', { name: 'Approvals inbox' });
}

/** Writes test-results/screens/<name>-<theme>.png at the page's size (1280×800). */
export async function screen(page: Page, name: string, theme: 'light' | 'dark'): Promise<void> {
  const dir = join(process.env.GATEHOUSE_TEST_RESULTS ?? 'test-results', 'screens');
  await mkdir(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}-${theme}.png`), animations: 'disabled', caret: 'hide' });
}
