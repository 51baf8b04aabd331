// Figure 9: the risk facts content rules read (shared/diff/risk-facts.ts), on the real
// 118,637-line kube-prometheus v0.13.0 → v0.14.0 manifests diff vendored in bench/data/: parse
// and risk summary, the work the server does once per request filed with a diff. Run without the
// time budget so the figure is the whole analysis; the median of timed runs after warm-ups. The
// default budget (RISK_BUDGET_MS) leaves room over the goal on a cold or loaded machine.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { RISK_BUDGET_MS, riskFacts } from '../shared/diff/risk-facts.ts';
import { percentile, round, type Benchmark } from './helpers.ts';

const WARMUPS = 2;
const RUNS = 7;

const bench: Benchmark = {
  name: 'risk',
  async run({ log }) {
    const diff = gunzipSync(readFileSync(new URL('data/kube-prometheus-v0.13.0-v0.14.0.diff.gz', import.meta.url))).toString('utf8');
    log(`kube-prometheus diff: ${(diff.length / 2 ** 20).toFixed(1)} MB`);
    const samples: number[] = [];
    let facts = riskFacts(diff, { budgetMs: Number.POSITIVE_INFINITY });
    for (let i = 0; i < WARMUPS + RUNS; i++) {
      const t = performance.now();
      facts = riskFacts(diff, { budgetMs: Number.POSITIVE_INFINITY });
      if (i >= WARMUPS) samples.push(performance.now() - t);
    }
    if (!facts.complete) throw new Error('riskFacts stopped early without a budget');
    log(
      `${facts.linesAdded + facts.linesRemoved} changed lines in ${facts.filesChanged} files: ${facts.imageChanges} image, ${facts.rbacChanges} RBAC, ${facts.secretChanges} Secret changes`,
    );
    const ms = percentile(samples, 50);
    log(`runs: ${samples.map((s) => s.toFixed(0)).join(', ')} ms (default budget ${RISK_BUDGET_MS} ms)`);
    return [{ name: 'risk.analyze_100k_ms', value: round(ms, 1), unit: 'ms', goal: '< 300' }];
  },
};

export default bench;
