// Figures: a desktop's first sync of a server holding 100,000 requests (a year of a large
// organisation's, 2 % still pending), and then its inbox's first paint at that size.
// The server's requests are written through the store (org.ts seedRequests); web mode starts on
// an empty data directory, signed in as the owner, with a page of the console open in Chromium.
// - sync.bootstrap_100k_ms: from the moment web mode prints its `open …` address (its core, and
//   with it the first sync, has started) until the page's status region says Online and the inbox
//   counts every pending request.
// - sync.bootstrap_100k_max_input_delay_ms: throughout that sync the bench presses a key the inbox
//   handles (j / k) every PROBE_MS, and the page sends an inbox query over a socket of its own
//   (what a click on a filter does) QUERY_EVERY_MS after the last one was answered. The figure is the worst of the key presses' input delay
//   (Event Timing: processingStart − startTime) and the queries' round trips: how long the UI
//   kept someone waiting while it synced.
// - inbox.first_paint_100k_ms: once synced, as inbox-paint.ts measures it at 10k (a fresh browser
//   context per run, navigation start to the first frame after the first row), median of RUNS.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright';
import { guarded, initData, percentile, round, sleep, startServer, type Benchmark, type Figure } from './helpers.ts';
import { createStoreOrg, seedRequests } from './org.ts';
import { FIRST_ROW, VIEWPORT, buildRenderer, measureFirstPaint, startWebMode, type PageGlobals, type PageResult, type WebMode } from './web-mode.ts';
import { chromiumLaunchOptions } from '../test/chromium.ts';

const REQUESTS = 100_000;
const PENDING_SHARE = 0.02;
const RUNS = 3;
/** Key presses: the renderer's own thread. */
const PROBE_MS = 100;
/** Inbox queries: each costs the core a query over every request, so fewer of them. */
const QUERY_EVERY_MS = 250;
const SYNC_TIMEOUT_MS = 120_000;

/**
 * Installed before any page script: records the input delay of every keydown that Event Timing
 * reports (it reports events of 16 ms or more; a shorter one was delayed less than that), and
 * `__trip(secret)` opens a socket of its own to web mode's host and sends one inbox query after
 * another, QUERY_EVERY_MS apart, recording each round trip.
 * A string, not a function: tsx would wrap named functions in a helper the page does not have.
 */
const PROBES = `(() => {
  const probe = { delays: [], trips: [], errors: [] };
  window.__probe = probe;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (e.name === 'keydown') probe.delays.push(e.processingStart - e.startTime);
  }).observe({ type: 'event', durationThreshold: 16, buffered: true });
  window.__trip = (secret) => {
    const ws = new WebSocket('ws://' + location.host + '/ipc', ['gatehouse', 'gatehouse-secret.' + secret]);
    let sentAt = 0;
    let id = 0;
    const send = () => {
      sentAt = performance.now();
      ws.send(JSON.stringify({ id: ++id, channel: 'inbox.query', input: { status: 'pending', limit: 100 } }));
    };
    ws.onopen = send;
    ws.onmessage = (m) => {
      const msg = JSON.parse(String(m.data));
      if (msg.id !== id) return;
      probe.trips.push(performance.now() - sentAt);
      if (!msg.result.ok) probe.errors.push(msg.result.error.message);
      if (!probe.stopped) setTimeout(send, ${QUERY_EVERY_MS});
    };
    ws.onerror = () => probe.errors.push('probe socket failed');
  };
})();`;

interface Probe {
  delays: number[];
  trips: number[];
  errors: string[];
  stopped?: boolean;
}

/** Online, and the inbox (pending by default) counts `pending` requests. */
function synced(page: Page, pending: number): Promise<unknown> {
  return page.waitForFunction(
    ({ row, n }) => {
      const d = (globalThis as unknown as PageGlobals).document;
      const online = Array.from(d.querySelectorAll('[role="status"]')).some((s) => /\bOnline\b/.test(s.textContent ?? ''));
      return online && Number(d.querySelector(row)?.getAttribute('aria-setsize')) >= n;
    },
    { row: FIRST_ROW, n: pending },
    { timeout: SYNC_TIMEOUT_MS, polling: 50 },
  );
}

const bench: Benchmark = {
  name: 'bootstrap',
  async run({ dir, log }) {
    const figures: Figure[] = [];
    const serverDir = join(dir, 'server');
    const webDir = join(dir, 'web');
    mkdirSync(webDir);

    const building = buildRenderer();
    building.catch(() => undefined); // awaited below

    const ownerToken = await initData(serverDir);
    const org = await createStoreOrg(serverDir, ownerToken, { projects: 4, environmentsPerProject: 5 });
    const t = performance.now();
    const { pending } = await seedRequests(serverDir, org, { requests: REQUESTS, pendingShare: PENDING_SHARE, seed: 23 }, log);
    log(`written in ${((performance.now() - t) / 1000).toFixed(1)} s (${pending} pending)`);
    await building;

    const server = await startServer(serverDir);
    let web: WebMode | undefined;
    let browser: Browser | undefined;
    try {
      await guarded(
        server,
        (async () => {
          browser = await chromium.launch(chromiumLaunchOptions());
          const context = await browser.newContext({ viewport: VIEWPORT });
          await context.addInitScript({ content: PROBES });
          const page = await context.newPage();

          web = await startWebMode(webDir, server.base, ownerToken);
          const opened = performance.now();
          const secret = new URL(web.openUrl).hash.slice(1);
          log(`web mode started; syncing ${REQUESTS.toLocaleString('en-US')} requests with a page open`);
          await page.goto(web.openUrl);
          await page.evaluate((s) => (globalThis as unknown as { __trip: (s: string) => void }).__trip(s), secret);

          let done = false;
          const keys = (async () => {
            for (let i = 0; !done; i++) {
              await page.keyboard.press(i % 2 === 0 ? 'j' : 'k');
              await sleep(PROBE_MS);
            }
          })();
          const progress = setInterval(() => {
            void page
              .locator('[role="status"]')
              .first()
              .textContent()
              .then((s) => log(`  ${(s ?? '').trim()} after ${((performance.now() - opened) / 1000).toFixed(1)} s`))
              .catch(() => undefined);
          }, 2000);
          try {
            await Promise.race([web.died, synced(page, pending)]);
          } finally {
            done = true;
            clearInterval(progress);
            await keys.catch(() => undefined);
          }
          const bootstrapMs = performance.now() - opened;
          const probe = (await page.evaluate(() => {
            const p = (globalThis as unknown as { __probe: Probe }).__probe;
            p.stopped = true;
            return p;
          })) as Probe;
          await context.close();
          if (probe.errors.length) throw new Error(`inbox queries failed during the sync: ${probe.errors.slice(0, 3).join('; ')}`);
          if (probe.trips.length < 3) throw new Error(`only ${probe.trips.length} inbox queries were answered during the sync`);
          const maxDelay = Math.max(0, ...probe.delays);
          const maxTrip = Math.max(...probe.trips);
          log(
            `synced in ${(bootstrapMs / 1000).toFixed(1)} s; key input delay max ${maxDelay.toFixed(0)} ms (${probe.delays.length} of 16 ms or more); ` +
              `${probe.trips.length} inbox queries, round trip p50 ${percentile(probe.trips, 50).toFixed(0)} ms, max ${maxTrip.toFixed(0)} ms`,
          );
          figures.push({ name: 'sync.bootstrap_100k_ms', value: round(bootstrapMs, 0), unit: 'ms', goal: '< 10000' });
          figures.push({ name: 'sync.bootstrap_100k_max_input_delay_ms', value: round(Math.max(maxDelay, maxTrip), 0), unit: 'ms', goal: '< 100' });

          const results: PageResult[] = [];
          for (let i = 0; i < RUNS; i++) {
            const r = await Promise.race([web.died, measureFirstPaint(browser, web.openUrl)]);
            log(`paint ${i + 1}/${RUNS}: first row painted at ${r.ms.toFixed(1)} ms; ${r.elementsSettled} elements with ${r.rows} rows loaded`);
            results.push(r);
          }
          figures.push({
            name: 'inbox.first_paint_100k_ms',
            value: round(
              percentile(
                results.map((r) => r.ms),
                50,
              ),
              1,
            ),
            unit: 'ms',
            goal: '< 500',
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
      await server.stop();
    }
    return figures;
  },
};

export default bench;
