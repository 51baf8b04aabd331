// Figure 8: the console's first view with 10k requests, in Chromium against web mode.
// A real server (`gatehouse init` + `serve`, helpers.ts) holds 10k pending requests filed through
// the API (org.ts); web mode (`electron/web.ts --no-open --server URL --token T`, signed in as a
// member of the approvers team, i.e. a release manager who can approve them all) syncs them into
// its sql.js cache, and one page is opened and left until the status region says Online and the
// inbox counts all 10k. The renderer is built first into out/renderer (as test/e2e/global-setup.ts
// does: web mode serves that directory).
// - inbox.first_paint_10k_ms: a fresh browser context per run loads the `open …` address web mode
//   printed (its hash carries the per-launch secret) to the first frame after the first inbox row
//   appears (a MutationObserver installed before any page script, then requestAnimationFrame →
//   setTimeout), as performance.now() in the page, i.e. from navigation start; median of RUNS.
// - inbox.dom_nodes_10k: the page's element count at that first paint and again once the rows in
//   view have loaded (no skeleton rows left); the larger of the two, the largest over the runs.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'vite';
import { chromium, type Browser } from 'playwright';
import { Api, REPO, guarded, initData, percentile, round, startServer, withTimeout, type Benchmark, type Figure } from './helpers.ts';
import { createOrg, createPendingRequest, inParallel } from './org.ts';
import { chromiumLaunchOptions } from '../test/chromium.ts';

const REQUESTS = 10_000;
const RUNS = 5;
const VIEWPORT = { width: 1280, height: 800 };
const LIST = '[role="list"][aria-label="Approvals inbox"]';
const FIRST_ROW = `${LIST} [role="listitem"][data-request-id]`;

// ---- web mode as a child process -------------------------------------------------------------------

interface WebMode {
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

async function startWebMode(dataDir: string, server: string, token: string): Promise<WebMode> {
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
interface PageElement {
  textContent: string | null;
  getAttribute(name: string): string | null;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement>;
}
interface PageGlobals {
  document: PageElement & { getElementsByTagName(tag: string): ArrayLike<PageElement> };
  requestAnimationFrame(callback: () => void): number;
  __firstRow?: { ms: number; elements: number };
}

interface PageResult {
  ms: number;
  elementsAtPaint: number;
  elementsSettled: number;
  rows: number;
}

/** A fresh context loads `openUrl`; the first inbox row's first paint and the element counts. */
async function measure(browser: Browser, openUrl: string): Promise<PageResult> {
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
async function waitSynced(browser: Browser, openUrl: string, n: number): Promise<void> {
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

// ---- the benchmark -------------------------------------------------------------------------------

const bench: Benchmark = {
  name: 'inbox-paint',
  async run({ dir, log }) {
    const figures: Figure[] = [];
    const serverDir = join(dir, 'server');
    const webDir = join(dir, 'web');
    mkdirSync(webDir);

    // The renderer build and the server's 10k requests run side by side.
    const building = (async () => {
      const t = performance.now();
      await build({ configFile: join(REPO, 'renderer', 'vite.config.ts'), logLevel: 'warn' });
      log(`renderer built into out/renderer in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    })();
    building.catch(() => undefined); // awaited below

    const ownerToken = await initData(serverDir);
    const server = await startServer(serverDir);
    const api = new Api(server.base, { maxSockets: 64 });
    let web: WebMode | undefined;
    let browser: Browser | undefined;
    try {
      await guarded(
        server,
        (async () => {
          let t = performance.now();
          const org = await createOrg(api, ownerToken, { approvers: 1 });
          await inParallel(REQUESTS, 48, (i) => createPendingRequest(api, org, i));
          log(`setup: ${REQUESTS} pending requests created over the API in ${((performance.now() - t) / 1000).toFixed(1)} s`);
          await building;

          t = performance.now();
          web = await startWebMode(webDir, server.base, org.approvers[0]!.token);
          log(`web mode started in ${((performance.now() - t) / 1000).toFixed(1)} s, signed in as an approver`);
          t = performance.now();
          browser = await chromium.launch(chromiumLaunchOptions());
          log(`chromium ${browser.version()} launched in ${((performance.now() - t) / 1000).toFixed(1)} s`);

          t = performance.now();
          await Promise.race([web.died, waitSynced(browser, web.openUrl, REQUESTS)]);
          log(`web mode synced ${REQUESTS} requests and is online (${((performance.now() - t) / 1000).toFixed(1)} s after start)`);

          const results: PageResult[] = [];
          for (let i = 0; i < RUNS; i++) {
            const r = await Promise.race([web.died, measure(browser, web.openUrl)]);
            log(
              `run ${i + 1}/${RUNS}: first row painted at ${r.ms.toFixed(1)} ms; ${r.elementsAtPaint} elements then, ${r.elementsSettled} with ${r.rows} rows loaded`,
            );
            results.push(r);
          }
          figures.push({
            name: 'inbox.first_paint_10k_ms',
            value: round(
              percentile(
                results.map((r) => r.ms),
                50,
              ),
              1,
            ),
            unit: 'ms',
            goal: '< 300',
          });
          figures.push({
            name: 'inbox.dom_nodes_10k',
            value: Math.max(...results.map((r) => Math.max(r.elementsAtPaint, r.elementsSettled))),
            unit: 'elements',
            goal: '< 3000',
          });
        })(),
      );
    } catch (err) {
      const w = web as WebMode | undefined;
      if (w) log(`web mode log (tail):\n${w.log().slice(-2000)}`);
      throw err;
    } finally {
      await (browser as Browser | undefined)?.close();
      await (web as WebMode | undefined)?.stop();
      api.close();
      await server.stop();
      await building.catch(() => undefined);
    }
    return figures;
  },
};

export default bench;
