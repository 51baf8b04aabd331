// A diff's risk facts: the counts content rules read as `risk` (docs/policies.md, "Content rules"),
// taken from the same parse and summary the diff viewer shows, so a rule and a reviewer see one truth.
// Diffs are untrusted and arrive on the request path: the analysis has a time budget, after which
// it stops and says so (`complete: false`) rather than hold the request up.
import type { RiskFacts } from '../schemas/index.ts';
import { DiffParser, type DiffFile } from './parse.ts';
import { summarizeRisk } from './risk.ts';

/** The facts of no diff at all. */
export const NO_RISK: RiskFacts = Object.freeze({
  deletedResources: 0,
  imageChanges: 0,
  replicaChanges: 0,
  rbacChanges: 0,
  secretChanges: 0,
  terraformDestroys: 0,
  filesChanged: 0,
  linesAdded: 0,
  linesRemoved: 0,
  untaggedImages: 0,
  deletedKinds: [],
  complete: true,
});

/** Milliseconds of analysis a diff gets by default: over three times what the 118k-line kube-prometheus diff takes (bench: risk.analyze_100k_ms), so a cold or loaded server still finishes real diffs; only pathological ones stop early. */
export const RISK_BUDGET_MS = 1000;
/** Lines parsed between two looks at the clock. */
const PARSE_SLICE = 4096;

export interface RiskFactsOptions {
  budgetMs?: number;
  /** A monotonic clock in milliseconds (default performance.now: elapsed time, not the wall clock). */
  clock?: () => number;
}

/** The risk facts of a unified or git diff, within a time budget. */
export function riskFacts(diff: string, options: RiskFactsOptions = {}): RiskFacts {
  if (diff === '') return NO_RISK;
  const clock = options.clock ?? (() => performance.now());
  const deadline = clock() + (options.budgetMs ?? RISK_BUDGET_MS);
  const expired = () => clock() > deadline;

  const parser = new DiffParser(diff);
  let parsed = true;
  while (!parser.step(PARSE_SLICE)) {
    if (expired()) {
      parsed = false;
      break;
    }
  }
  let files: DiffFile[] = parser.result().files;
  // the file the parse stopped in is cut short: a resource it removes may be re-added further down
  if (!parsed) files = files.slice(0, -1);
  const summary = summarizeRisk(files, { expired });
  let linesAdded = 0;
  let linesRemoved = 0;
  for (const f of files) {
    linesAdded += f.added;
    linesRemoved += f.removed;
  }
  const { counts } = summary;
  return {
    deletedResources: counts['deleted-resource'],
    imageChanges: counts.image,
    replicaChanges: counts.replicas,
    rbacChanges: counts.rbac,
    secretChanges: counts.secret,
    terraformDestroys: counts['terraform-destroy'],
    filesChanged: files.length,
    linesAdded,
    linesRemoved,
    untaggedImages: summary.untaggedImages,
    deletedKinds: summary.deletedKinds,
    complete: parsed && summary.complete,
  };
}
