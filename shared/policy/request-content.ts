// What content rules read of a request's payload, built one way wherever a request is judged: the
// server when it is filed or dry-run, `gatehouse policy test`, and the desktop's previews.
import { NO_RISK, riskFacts } from '../diff/risk-facts.ts';
import type { RequestCost, TerraformPlan } from '../schemas/index.ts';
import type { RuleContent } from './action-input.ts';

export interface ContentPayload {
  revision?: string | undefined;
  diff?: string | undefined;
  cost?: RequestCost | undefined;
  plan?: TerraformPlan | undefined;
}

/**
 * The diff is analysed here, once; without one the facts are NO_RISK (all zero), which is also
 * what the request then records, so `risk.deletedResources > 0` reads the same at creation, at
 * each decision, in the console and in an offline preview.
 */
export function requestContent(payload: ContentPayload | undefined): RuleContent {
  const { revision, cost, plan, diff } = payload ?? {};
  return {
    ...(revision !== undefined ? { revision } : {}),
    ...(cost !== undefined ? { cost } : {}),
    ...(plan !== undefined ? { plan } : {}),
    risk: diff ? riskFacts(diff) : NO_RISK,
  };
}
