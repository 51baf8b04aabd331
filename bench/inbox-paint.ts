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
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright';
import { Api, guarded, initData, percentile, round, startServer, type Benchmark, type Figure } from './helpers.ts';
import { createOrg, createPendingRequest, inParallel } from './org.ts';
import { buildRenderer, measureFirstPaint, startWebMode, waitSynced, type PageResult, type WebMode } from './web-mode.ts';
import { chromiumLaunchOptions } from '../test/chromium.ts';

const REQUESTS = 10_000;
const RUNS = 5;

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
      await buildRenderer();
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
            const r = await Promise.race([web.died, measureFirstPaint(browser, web.openUrl)]);
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
