// Figure 7: the console's diff viewer (renderer/src/lib/diff) in Chromium, next to diff2html.
// A harness page (our DiffViewer mounted with Svelte's `mount`, and diff2html's `html()` inserted
// with its stylesheet) is built with Vite's JS API into this benchmark's temp dir and served to
// Playwright's Chromium through request interception (no port). Synthetic diffs of 10k and 100k
// lines (Kubernetes YAML hunks: labels, images, replicas, resources, long unchanged runs) are
// generated here, so the benchmark needs no file from outside the repository.
// - first paint: from just before mounting (ours: mount + parse + rows; diff2html: parse + HTML +
//   innerHTML) to the first frame after it (requestAnimationFrame → setTimeout), median of fresh pages;
// - DOM nodes: elements in the mounted component after first paint and after scrolling to the middle
//   and the end (the largest); text nodes are logged too;
// - pathological: computeDiff on a 10k-line pair where every line differs (Node, no browser).
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { build, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { chromium, type Browser } from 'playwright';
import { computeDiff } from '../shared/diff/parse.ts';
import { REPO, percentile, round, type Benchmark, type Figure } from './helpers.ts';
import { seededRandom } from '../shared/random.ts';
import { chromiumLaunchOptions } from '../test/chromium.ts';

const ORIGIN = 'http://diff-bench.local';
const VIEWPORT = { width: 1280, height: 800 };
const RUNS = { ours10k: 5, ours100k: 3, d2h10k: 3, d2h100k: 1 };

// ---- synthetic diffs ---------------------------------------------------------------------------

const COMPONENTS = ['checkout', 'payments', 'search', 'alertmanager', 'grafana', 'prometheus', 'node-exporter', 'kube-state-metrics', 'blackbox', 'adapter'];
const KINDS = ['Deployment', 'StatefulSet', 'Service', 'ConfigMap', 'ClusterRole', 'DaemonSet'];

/** A git diff of Kubernetes manifests with about `target` lines. */
export function syntheticDiff(target: number, seed = 7): string {
  const rand = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const out: string[] = [];
  let f = 0;
  while (out.length < target) {
    const comp = pick(COMPONENTS);
    const kind = pick(KINDS);
    const path = `manifests/${comp}-${kind.toLowerCase()}-${f++}.yaml`;
    out.push(
      `diff --git a/${path} b/${path}`,
      `index ${(f * 7919).toString(16).padStart(8, '0')}..${(f * 104729).toString(16).padStart(8, '0')} 100644`,
      `--- a/${path}`,
      `+++ b/${path}`,
    );
    let oldNo = 1;
    let newNo = 1;
    const hunks = 3 + Math.floor(rand() * 8);
    for (let h = 0; h < hunks && out.length < target; h++) {
      const body: string[] = [];
      let o = 0;
      let n = 0;
      const ctx = (s: string) => {
        body.push(` ${s}`);
        o++;
        n++;
      };
      const del = (s: string) => {
        body.push(`-${s}`);
        o++;
      };
      const add = (s: string) => {
        body.push(`+${s}`);
        n++;
      };
      ctx(`  labels:`);
      ctx(`    app.kubernetes.io/component: ${comp}`);
      ctx(`    app.kubernetes.io/name: ${comp}`);
      const v = Math.floor(rand() * 20);
      del(`    app.kubernetes.io/version: 0.${v}.0`);
      add(`    app.kubernetes.io/version: 0.${v + 1}.0`);
      ctx(`  name: ${comp}`);
      ctx(`  namespace: monitoring`);
      const r = rand();
      if (r < 0.3) {
        ctx(`    spec:`);
        ctx(`      containers:`);
        del(`      - image: quay.io/example/${comp}:v0.${v}.0`);
        add(`      - image: quay.io/example/${comp}:v0.${v + 1}.0`);
        ctx(`        name: ${comp}`);
        ctx(`        resources:`);
        del(`          limits: {cpu: ${100 + v}m, memory: ${128 + v}Mi}`);
        add(`          limits: {cpu: ${200 + v}m, memory: ${256 + v}Mi}`);
      } else if (r < 0.45) {
        del(`  replicas: ${2 + (v % 3)}`);
        add(`  replicas: ${3 + (v % 3)}`);
      } else if (r < 0.75) {
        // a long added block (rules, dashboards)
        const k = 20 + Math.floor(rand() * 120);
        for (let i = 0; i < k; i++) add(`    - alert: ${comp}Alert${i}  # for: ${i % 15}m, severity: ${i % 3 ? 'warning' : 'critical'}`);
      } else {
        // a long unchanged run (folded by the viewer)
        const k = 15 + Math.floor(rand() * 60);
        for (let i = 0; i < k; i++) ctx(`      - record: ${comp}:rule_${i}:rate5m  # "expr": sum(rate(x_total{job="${comp}"}[5m])) by (le, ${i})`);
        del(`      - record: ${comp}:old_rule`);
        for (let i = 0; i < 3; i++) ctx(`      - expr: vector(${i})`);
      }
      ctx(`  selector:`);
      ctx(`    matchLabels:`);
      ctx(`      app.kubernetes.io/name: ${comp}`);
      oldNo += 20 + Math.floor(rand() * 30);
      newNo += 20 + Math.floor(rand() * 30);
      out.push(`@@ -${oldNo},${o} +${newNo},${n} @@ spec:`, ...body);
      oldNo += o;
      newNo += n;
    }
  }
  return `${out.join('\n')}\n`;
}

/** Two 10k-line texts with nothing in common. */
function fullyDifferentPair(lines: number): [string, string] {
  const a: string[] = [];
  const b: string[] = [];
  for (let i = 0; i < lines; i++) {
    a.push(`  old-${i}: value ${(i * 2654435761) % 1000003}`);
    b.push(`  new-${i}: other ${(i * 40503) % 999983}`);
  }
  return [`${a.join('\n')}\n`, `${b.join('\n')}\n`];
}

// ---- the harness page ------------------------------------------------------------------------

const MAIN_TS = `
import { mount } from 'svelte';
import { html } from 'diff2html';
import 'diff2html/bundles/css/diff2html.min.css';
import DiffViewer from ${JSON.stringify(join(REPO, 'renderer/src/lib/diff/DiffViewer.svelte'))};

const app = document.getElementById('app');
const painted = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
const frames = async (n) => { for (let i = 0; i < n; i++) await painted(); };
function count(root) {
  let elements = 1, texts = 0;
  const w = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
  while (w.nextNode()) { if (w.currentNode.nodeType === 1) elements++; else texts++; }
  return { elements, texts };
}
window.__ours = async (text) => {
  const t0 = performance.now();
  mount(DiffViewer, { target: app, props: { text } });
  await painted();
  const ms = performance.now() - t0;
  const rows = app.querySelectorAll('.r').length;
  while (app.querySelector('.parsing')) await painted(); // large diffs: the rest parses in slices after first paint
  const readyMs = performance.now() - t0;
  const region = app.querySelector('[role=region][aria-label=Diff]');
  const counts = [count(region)];
  const scroller = app.querySelector('.scroller');
  for (const at of [0.5, 1]) {
    scroller.scrollTop = scroller.scrollHeight * at;
    scroller.dispatchEvent(new Event('scroll'));
    await frames(2);
    counts.push(count(region));
  }
  return { ms, readyMs, rows, counts, rowsAfterScroll: app.querySelectorAll('.r').length };
};
window.__d2h = async (text) => {
  const t0 = performance.now();
  app.innerHTML = html(text, { drawFileList: true, outputFormat: 'line-by-line', matching: 'none' });
  await painted();
  const ms = performance.now() - t0;
  return { ms, rows: app.querySelectorAll('tr').length, counts: [count(app)] };
};
`;

const INDEX_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>diff bench</title>
<style>html,body{margin:0;height:100%}#app{height:100vh;overflow:auto}</style></head>
<body><div id="app"></div><script type="module" src="./main.ts"></script></body></html>
`;

/** Bare imports of the harness (outside the repo) are resolved as if from the repo. */
function resolveFromRepo(root: string): Plugin {
  const from = join(REPO, 'bench', 'diff-viewer.ts');
  return {
    name: 'diff-bench-resolve-from-repo',
    enforce: 'pre',
    async resolveId(source, importer, options) {
      if (!importer?.startsWith(root) || source.startsWith('.') || source.startsWith('/') || source.startsWith('\0')) return null;
      return this.resolve(source, from, { ...options, skipSelf: true });
    },
  };
}

export async function buildHarness(dir: string): Promise<string> {
  const root = join(dir, 'harness');
  const outDir = join(dir, 'dist');
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'index.html'), INDEX_HTML);
  writeFileSync(join(root, 'main.ts'), MAIN_TS);
  await build({
    root,
    base: './',
    configFile: false,
    logLevel: 'warn',
    plugins: [resolveFromRepo(root), svelte({ configFile: false })],
    build: { outDir, emptyOutDir: true, target: 'es2022', reportCompressedSize: false, chunkSizeWarningLimit: 5000 },
  });
  return outDir;
}

const MIME: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };

interface PageResult {
  ms: number;
  rows: number;
  counts: { elements: number; texts: number }[];
  rowsAfterScroll?: number;
  /** Ours: until the whole diff is parsed and the risk summary is shown. */
  readyMs?: number;
}

async function measure(browser: Browser, outDir: string, fn: '__ours' | '__d2h', text: string): Promise<PageResult> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  try {
    await context.route(`${ORIGIN}/**`, async (route) => {
      const path = new URL(route.request().url()).pathname;
      const file = resolve(outDir, `.${path === '/' ? '/index.html' : path}`);
      if (!file.startsWith(outDir) || !existsSync(file)) return route.fulfill({ status: 404, body: 'not found' });
      return route.fulfill({ status: 200, contentType: MIME[extname(file)] ?? 'application/octet-stream', body: readFileSync(file) });
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${ORIGIN}/index.html`);
    await page.waitForFunction(() => typeof (globalThis as unknown as { __ours?: unknown }).__ours === 'function');
    await page.evaluate((t) => {
      (globalThis as unknown as { __text: string }).__text = t;
    }, text);
    const r = await page.evaluate(async (name) => {
      const w = globalThis as unknown as Record<string, (t: string) => Promise<unknown>> & { __text: string };
      return w[name]!(w.__text);
    }, fn);
    if (errors.length) throw new Error(`${fn}: page errors: ${errors.join('; ')}`);
    const result = r as PageResult;
    if (result.rows === 0) throw new Error(`${fn}: nothing rendered`);
    return result;
  } finally {
    await context.close();
  }
}

async function median(browser: Browser, outDir: string, fn: '__ours' | '__d2h', text: string, runs: number, log: (m: string) => void, label: string) {
  const results: PageResult[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await measure(browser, outDir, fn, text);
    log(
      `${label} run ${i + 1}/${runs}: ${r.ms.toFixed(1)} ms${r.readyMs !== undefined ? ` (all parsed: ${r.readyMs.toFixed(1)} ms)` : ''}, ${r.counts.map((c) => `${c.elements} elements + ${c.texts} text nodes`).join(' / ')}`,
    );
    results.push(r);
  }
  const ms = percentile(
    results.map((r) => r.ms),
    50,
  );
  const elements = Math.max(...results.flatMap((r) => r.counts.map((c) => c.elements)));
  return { ms, elements };
}

const bench: Benchmark = {
  name: 'diff-viewer',
  async run({ dir, log }) {
    const figures: Figure[] = [];
    const fig = (name: string, value: number, unit: string, goal: string | null) => figures.push({ name, value, unit, goal });

    // pathological pair first: it needs no browser
    const [a, b] = fullyDifferentPair(10_000);
    const samples: number[] = [];
    let outcome = '';
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      const r = computeDiff(a, b);
      samples.push(performance.now() - t);
      outcome = r.tooLarge ? `fallback: ${r.reason}` : `a diff of +${r.added} −${r.removed}`;
    }
    log(`pathological 10k-line pair: ${outcome}`);
    fig('diff.pathological_10k_ms', round(Math.max(...samples), 1), 'ms', '< 1000');

    const diff10k = syntheticDiff(10_000);
    const diff100k = syntheticDiff(100_000);
    log(`synthetic diffs: ${diff10k.split('\n').length - 1} and ${diff100k.split('\n').length - 1} lines (${(diff100k.length / 2 ** 20).toFixed(1)} MB)`);

    let t = performance.now();
    const outDir = await buildHarness(dir);
    log(`harness built with vite in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    t = performance.now();
    const browser = await chromium.launch(chromiumLaunchOptions());
    log(`chromium ${browser.version()} launched in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    try {
      await measure(browser, outDir, '__ours', diff10k); // warm-up (disk cache, code cache)
      const o10 = await median(browser, outDir, '__ours', diff10k, RUNS.ours10k, log, 'ours 10k');
      const d10 = await median(browser, outDir, '__d2h', diff10k, RUNS.d2h10k, log, 'diff2html 10k');
      const o100 = await median(browser, outDir, '__ours', diff100k, RUNS.ours100k, log, 'ours 100k');
      const d100 = await median(browser, outDir, '__d2h', diff100k, RUNS.d2h100k, log, 'diff2html 100k');
      fig('diff.first_paint_10k_ms', round(o10.ms, 1), 'ms', null);
      fig('diff.first_paint_100k_ms', round(o100.ms, 1), 'ms', null);
      fig('diff.dom_nodes_10k', o10.elements, 'elements', '< 1000');
      fig('diff.dom_nodes_100k', o100.elements, 'elements', '< 1000');
      fig('diff2html.first_paint_10k_ms', round(d10.ms, 1), 'ms', null);
      fig('diff2html.first_paint_100k_ms', round(d100.ms, 1), 'ms', null);
      fig('diff2html.dom_nodes_10k', d10.elements, 'elements', null);
      fig('diff2html.dom_nodes_100k', d100.elements, 'elements', null);
      fig('diff.first_paint_vs_diff2html_10k', round(o10.ms / d10.ms, 3), 'x', '< 1');
      fig('diff.first_paint_vs_diff2html_100k', round(o100.ms / d100.ms, 3), 'x', '< 1');
    } finally {
      await browser.close();
    }
    return figures;
  },
};

export default bench;
