// A request's risk facts as labelled counts, in the diff viewer's words: the same rows in the
// console's request detail and in every notification about the request.
import type { RiskFacts } from '../schemas/index.ts';
import { RISK_LABELS } from './risk.ts';

export interface RiskRow {
  label: string;
  count: number;
}

/**
 * The counts the diff viewer's risk summary shows (with its labels), and untagged images; only
 * those found. The file and line counts are the change's size, not a risk, and are worded apart.
 */
export function riskRows(risk: RiskFacts): RiskRow[] {
  const rows: RiskRow[] = [
    { label: RISK_LABELS['deleted-resource'], count: risk.deletedResources },
    { label: RISK_LABELS.image, count: risk.imageChanges },
    { label: RISK_LABELS.replicas, count: risk.replicaChanges },
    { label: RISK_LABELS.rbac, count: risk.rbacChanges },
    { label: RISK_LABELS.secret, count: risk.secretChanges },
    { label: RISK_LABELS['terraform-destroy'], count: risk.terraformDestroys },
    { label: 'Untagged images', count: risk.untaggedImages },
  ];
  return rows.filter((r) => r.count > 0);
}
