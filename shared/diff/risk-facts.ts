// A diff's risk facts: the counts content rules read as `risk` (docs/policies.md, "Content rules"),
// taken from the same parse and summary the diff viewer shows, so a rule and a reviewer see one truth.
import type { RiskFacts } from '../schemas/index.ts';
import { parseDiff } from './parse.ts';
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

/** The risk facts of a unified or git diff. */
export function riskFacts(diff: string): RiskFacts {
  if (diff === '') return NO_RISK;
  const parsed = parseDiff(diff);
  const { counts } = summarizeRisk(parsed.files);
  return {
    deletedResources: counts['deleted-resource'],
    imageChanges: counts.image,
    replicaChanges: counts.replicas,
    rbacChanges: counts.rbac,
    secretChanges: counts.secret,
    terraformDestroys: counts['terraform-destroy'],
    filesChanged: parsed.files.length,
    linesAdded: parsed.added,
    linesRemoved: parsed.removed,
    untaggedImages: 0,
    deletedKinds: [],
    complete: true,
  };
}
