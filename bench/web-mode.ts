// Web mode (`electron/web.ts`) as a child process for the benchmarks that open the real console
// in Chromium, and what they measure in its page: the first frame after the first inbox row
// appears, and "is it synced". Used by inbox-paint.ts and bootstrap.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { build } from 'vite';
import type { Browser } from 'playwright';
import { REPO, withTimeout } from './helpers.ts';

export const VIEWPORT = { width: 1280, height: 800 };
export const LIST = '[role="list"][aria-label="Approvals inbox"]';
export const FIRST_ROW = `${LIST} [role="listitem"][data-request-id]`;

/** Builds the renderer into out/renderer (web mode serves that directory), as test/e2e/global-setup.ts does. */
export async function buildRenderer(): Promise<void> {
  await build({ configFile: join(REPO, 'renderer', 'vite.config.ts'), logLevel: 'warn' });
}

// ---- web mode as a child process -------------------------------------------------------------------

export interface WebMode {
  openUrl: string;
  log: () => string;
  died: Promise<never>;
  stop: () => Promise<void>;
}

const webChildren = new Set<ChildProcess>();

/** Kills a child's whole process group (it is started detached), then the child itself. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // no group left
  }
  try {
    child.kill(signal);
  } catch {
    // already gone
  }
}

// Whatever way the run ends (helpers.ts turns SIGINT/SIGTERM/SIGHUP into exit), web mode goes too.
process.on('exit', () => {
  for (const c of webChildren) killGroup(c, 'SIGKILL');
});

export async function startWebMode(dataDir: string, server: string, token: string): Promise<WebMode> {
  // detached: its own process group, so anything it starts is stopped with it.
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(REPO, 'electron', 'web.ts'), '--no-open', '--data', dataDir, '--server', server, '--token', token],
    {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  webChildren.add(child);
  let stdout = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr = (stderr + d).slice(-8000);
  });
  let stopping = false;
  const exited = new Promise<void>((r) =>
    child.once('exit', () => {
      webChildren.delete(child);
      r();
    }),
  );
  const died = exited.then(() => {
    if (stopping) return new Promise<never>(() => undefined);
    throw new Error(`web mode (pid ${child.pid}) exited unexpectedly (code ${child.exitCode}, signal ${child.signalCode}):\n${stderr}`);
  });
  died.catch(() => undefined);

  const stop = async () => {
    stopping = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 5000).unref());
      if ((await Promise.race([exited.then(() => 'exited' as const), timer])) === 'timeout') {
        killGroup(child, 'SIGKILL');
        await exited;
      }
    }
    killGroup(child, 'SIGKILL'); // strays of the group, if any
  };

  const openUrl = await withTimeout(
    new Promise<string>((resolve, reject) => {
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
        const m = /^open (http:\/\/\S+)$/m.exec(stdout);
        if (m) resolve(m[1]!);
      });
      child.once('error', reject);
      died.catch(reject);
    }),
    30_000,
    'web mode start',
  ).catch(async (err: unknown) => {
    await stop();
    throw err;
  });
  return { openUrl, log: () => stderr, died, stop };
}

// ---- the page ----------------------------------------------------------------------------------------

/**
 * Installed before any page script: records performance.now() at the first frame after the first
 * inbox row is in the DOM, and the element count then. A string, not a function: tsx would wrap
 * named functions in a `__name` helper the page does not have.
 */
const FIRST_ROW_PROBE = `(() => {
  const selector = ${JSON.stringify(FIRST_ROW)};
  let armed = true;
  const observer = new MutationObserver(() => {
    if (!armed || !document.querySelector(selector)) return;
    armed = false;
    observer.disconnect();
    requestAnimationFrame(() => setTimeout(() => {
      window.__firstRow = { ms: performance.now(), elements: document.getElementsByTagName('*').length };
    }, 0));
  });
  observer.observe(document, { childList: true, subtree: true });
})();`;

/**
 * What the page-side callbacks use of the DOM (bench/ is type-checked without lib.dom). Strings
 * would be simpler, but the renderer's CSP has no 'unsafe-eval', which string predicates need.
 */
export interface PageElement {
  textContent: string | null;
  getAttribute(name: string): string | null;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement>;
}
export interface PageGlobals {
  document: PageElement & { getElementsByTagName(tag: string): ArrayLike<PageElement> };
  requestAnimationFrame(callback: () => void): number;
  __firstRow?: { ms: number; elements: number };
}

export interface PageResult {
  ms: number;
  elementsAtPaint: number;
  elementsSettled: number;
  rows: number;
}

/** A fresh context loads `openUrl`; the first inbox row's first paint and the element counts. */
export async function measureFirstPaint(browser: Browser, openUrl: string): Promise<PageResult> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  try {
    await context.addInitScript({ content: FIRST_ROW_PROBE });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(openUrl, { waitUntil: 'commit' });
    const handle = await page.waitForFunction(() => (globalThis as unknown as PageGlobals).__firstRow, undefined, { timeout: 20_000 });
    const first = (await handle.jsonValue()) as { ms: number; elements: number };
    // settled: the rows in view are loaded (no skeletons), then two more frames
    const settled = await page.waitForFunction(
      (list) => {
        const g = globalThis as unknown as PageGlobals;
        const el = g.document.querySelector(list);
        if (!el || el.getAttribute('aria-busy') === 'true' || el.querySelector('.row-skeleton')) return undefined;
        return new Promise<{ elements: number; rows: number }>((r) =>
          g.requestAnimationFrame(() =>
            g.requestAnimationFrame(() => r({ elements: g.document.getElementsByTagName('*').length, rows: el.querySelectorAll('[data-request-id]').length })),
          ),
        );
      },
      LIST,
      { timeout: 20_000 },
    );
    const s = (await settled.jsonValue()) as { elements: number; rows: number };
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
    return { ms: first.ms, elementsAtPaint: first.elements, elementsSettled: s.elements, rows: s.rows };
  } finally {
    await context.close();
  }
}

/** Opens the page once and waits until web mode is online with all `n` requests in its inbox. */
export async function waitSynced(browser: Browser, openUrl: string, n: number): Promise<void> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  try {
    const page = await context.newPage();
    await page.goto(openUrl);
    await page.waitForFunction(
      ({ row, n }) => {
        const d = (globalThis as unknown as PageGlobals).document;
        const online = Array.from(d.querySelectorAll('[role="status"]')).some((s) => /\bOnline\b/.test(s.textContent ?? ''));
        return online && Number(d.querySelector(row)?.getAttribute('aria-setsize')) >= n;
      },
      { row: FIRST_ROW, n },
      { timeout: 45_000, polling: 100 },
    );
  } finally {
    await context.close();
  }
}
