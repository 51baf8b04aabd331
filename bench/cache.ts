// Figure 5: the desktop's offline cache (electron/core/cache, sql.js). Realistic requests (1–3
// snapshotted gates, decisions, justifications) are applied as 1000-change /api/sync pages into
// caches of 1k, 10k and 50k requests, saved, and then:
// - cold start: a fresh Node process (this file with --child, bundled by esbuild as the app's main
//   process is — scripts/build-electron.ts: plain JS, npm packages from node_modules, no TypeScript
//   loader and its hooks thread) opens the 10k / 50k file and runs the first inbox query (newest
//   100 + total + chip counts); median of 3 processes, timed from the start of Cache.open (sql.js
//   wasm init included) to the first answer;
// - filtered inbox: in the same 50k process, the median of status=pending + group=release + text;
// - resident memory of that 50k process;
// - for comparison, the naive persistence the cache avoids: after each decision-sized write,
//   export the whole sql.js database, write the file and fsync it.
import { execFile } from 'node:child_process';
import { build } from 'esbuild';
import { closeSync, copyFileSync, fsyncSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Cache, loadSqlJs } from '../electron/core/cache/index.ts';
import { makeOrg, makeRequest, requestPages } from '../electron/core/cache/fixtures.ts';
import { SEAL_BYTES } from '../electron/core/cache/file-format.ts';
import { percentile, REPO, round, type Benchmark, type Figure } from './helpers.ts';
import { systemClock } from '../shared/clock.ts';

const THIS_FILE = fileURLToPath(import.meta.url);
const COLD_RUNS = 3;
const FILTERED_RUNS = 30;
const NAIVE_RUNS = 5;
const FILTERED_QUERY = { status: 'pending', group: 'release', text: 'hotfix' } as const;

interface ChildResult {
  openMs: number;
  firstInboxMs: number;
  coldMs: number;
  total: number;
  /** The first text query of the process: it loads the search texts (kept out of the cold path). */
  firstSearchMs?: number;
  filteredMedianMs?: number;
  filteredTotal?: number;
  rssMb: number;
}

/** In a fresh process: open the file, the first inbox query; optionally the filtered query. */
async function child(file: string, filtered: boolean): Promise<ChildResult> {
  const t0 = performance.now();
  const { cache, recovered } = await Cache.open({ file });
  const t1 = performance.now();
  if (recovered) throw new Error(`the bench cache was moved aside: ${recovered.reason}`);
  const first = cache.inbox({});
  const t2 = performance.now();
  if (first.rows.length !== 100) throw new Error(`first inbox gave ${first.rows.length} rows`);
  const out: ChildResult = { openMs: t1 - t0, firstInboxMs: t2 - t1, coldMs: t2 - t0, total: first.total, rssMb: 0 };
  if (filtered) {
    const samples: number[] = [];
    let total = 0;
    for (let i = 0; i < FILTERED_RUNS + 3; i++) {
      const t = performance.now();
      total = cache.inbox(FILTERED_QUERY).total;
      if (i === 0) out.firstSearchMs = performance.now() - t;
      if (i >= 3) samples.push(performance.now() - t);
    }
    out.filteredMedianMs = percentile(samples, 50);
    out.filteredTotal = total;
  }
  out.rssMb = process.memoryUsage().rss / 2 ** 20;
  await cache.close();
  return out;
}

const execFileP = promisify(execFile);

/**
 * This file as the app ships its main process: one ESM bundle, npm packages external, so it sits
 * inside the repository to find node_modules — under node_modules/.cache, not out/, which packaging ships.
 */
const CHILD_BUNDLE = join(REPO, 'node_modules', '.cache', 'gatehouse-bench', 'cache-child.mjs');

async function bundleChild(): Promise<void> {
  await build({
    entryPoints: [THIS_FILE],
    outfile: CHILD_BUNDLE,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    logLevel: 'warning',
  });
}

async function runChild(file: string, filtered: boolean): Promise<ChildResult> {
  const { stdout } = await execFileP(process.execPath, [CHILD_BUNDLE, '--child', file, filtered ? 'filtered' : 'cold'], {
    cwd: REPO,
    timeout: 120_000,
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout.trim().split('\n').pop()!) as ChildResult;
}

/** The naive way: one decision-sized write, then export + write + fsync the whole database. */
async function naiveExportWrite(file: string, scratch: string): Promise<number> {
  const SQL = await loadSqlJs();
  const bytes = readFileSync(file);
  const db = new SQL.Database(bytes.subarray(0, bytes.byteLength - SEAL_BYTES));
  const org = makeOrg();
  const samples: number[] = [];
  const update = db.prepare('UPDATE requests SET status = ?, updated_at = ? WHERE id = ?');
  for (let i = 0; i < NAIVE_RUNS + 1; i++) {
    const t = performance.now();
    const r = makeRequest(org, i);
    update.run(['approved', systemClock().getTime(), r.id]);
    const image = db.export();
    const fd = openSync(scratch, 'w');
    try {
      let off = 0;
      while (off < image.byteLength) off += writeSync(fd, image, off, image.byteLength - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (i > 0) samples.push(performance.now() - t);
  }
  update.free();
  db.close();
  return percentile(samples, 50);
}

export const cache: Benchmark = {
  name: 'cache',
  async run(ctx) {
    const org = makeOrg();
    const files = { '1k': join(ctx.dir, 'cache-1k.sqlite'), '10k': join(ctx.dir, 'cache-10k.sqlite'), '50k': join(ctx.dir, 'cache-50k.sqlite') };
    const work = join(ctx.dir, 'cache-build.sqlite');
    const figures: Figure[] = [];

    ctx.log('building caches of 1k, 10k and 50k requests from 1000-change sync pages');
    const { cache: c } = await Cache.open({ file: work, saveDelayMs: 60_000 });
    c.applyChanges(org.changes, org.changes.length);
    const pageMs: number[] = [];
    let n = 0;
    for (const page of requestPages(org, 50_000, 1000)) {
      const t = performance.now();
      c.applyChanges(page.changes, page.cursor);
      pageMs.push(performance.now() - t);
      n += page.changes.length;
      if (n === 1000 || n === 10_000 || n === 50_000) {
        await c.flush();
        const name = n === 1000 ? '1k' : n === 10_000 ? '10k' : '50k';
        copyFileSync(work, files[name]);
        ctx.log(`${name}: ${(statSync(files[name]).size / 2 ** 20).toFixed(1)} MiB on disk`);
      }
    }
    await c.close();
    const applyMedian = percentile(pageMs, 50);
    ctx.log(`applyChanges: median ${applyMedian.toFixed(1)} ms per 1000-change page (max ${Math.max(...pageMs).toFixed(1)})`);

    await bundleChild();
    for (const size of ['10k', '50k'] as const) {
      const runs: ChildResult[] = [];
      for (let i = 0; i < COLD_RUNS; i++) runs.push(await runChild(files[size], size === '50k' && i === 0));
      const cold = percentile(
        runs.map((r) => r.coldMs),
        50,
      );
      ctx.log(
        `cold ${size}: ${runs.map((r) => `${r.coldMs.toFixed(0)} ms (open ${r.openMs.toFixed(0)} + first inbox ${r.firstInboxMs.toFixed(0)})`).join(', ')} over ${runs[0]!.total} requests`,
      );
      figures.push({ name: `cache.cold_inbox_${size}_ms`, value: round(cold, 1), unit: 'ms', goal: '< 300' });
      if (size === '50k') {
        const f = runs[0]!;
        ctx.log(
          `filtered ${JSON.stringify(FILTERED_QUERY)}: the first ${f.firstSearchMs!.toFixed(1)} ms (loads the search texts), then median ${f.filteredMedianMs!.toFixed(2)} ms of ${FILTERED_RUNS}; ${f.filteredTotal} matching`,
        );
        figures.push({ name: 'cache.filtered_inbox_50k_ms', value: round(f.filteredMedianMs!, 2), unit: 'ms', goal: '< 16' });
        figures.push({ name: 'cache.rss_50k_mb', value: round(f.rssMb, 0), unit: 'MiB', goal: '< 150' });
      }
    }

    for (const size of ['1k', '10k', '50k'] as const) {
      const ms = await naiveExportWrite(files[size], join(ctx.dir, `naive-${size}.sqlite`));
      ctx.log(`naive export + write + fsync per write at ${size}: median ${ms.toFixed(1)} ms`);
      figures.push({ name: `cache.naive_export_write_${size}_ms`, value: round(ms, 1), unit: 'ms', goal: null });
    }
    figures.push({ name: 'cache.apply_page_1k_ms', value: round(applyMedian, 1), unit: 'ms', goal: null });
    return figures;
  },
};

export default cache;

// `node node_modules/.cache/gatehouse-bench/cache-child.mjs --child FILE cold|filtered` (bundleChild): one cold-start measurement.
if (process.argv[1] === THIS_FILE && process.argv[2] === '--child') {
  child(process.argv[3]!, process.argv[4] === 'filtered').then(
    (r) => {
      process.stdout.write(`${JSON.stringify(r)}\n`);
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
