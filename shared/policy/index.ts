// The policy engine (docs/policies.md): pure functions shared by the server, which enforces them, and
// the desktop app, which previews them offline. No I/O and no clock: `now` is always passed in.
export { strictest } from './outcome.ts';
export type { Outcome } from './outcome.ts';
export {
  AUDITOR_ROLE,
  BREAKGLASS_AUTHORITY_REFUSAL,
  BREAKGLASS_OWN_REVIEW_REFUSAL,
  BREAKGLASS_REVIEW_AUTHORITY_REFUSAL,
  breakGlassReviewRefusal,
  FREEZE_AUTHORITY_REFUSAL,
  holdsOrgRole,
  isAdmin,
  mayBreakGlass,
  mayFreeze,
  mayReviewBreakGlass,
} from './roles.ts';
export { conditionsHold } from './conditions.ts';
export type { ActionInput } from './action-input.ts';
export { collectGates } from './collect-gates.ts';
export { gateFromPolicy, isClusterAction, isDeployLike, restrictedGate } from './gates.ts';
export { evaluateAction } from './evaluate-action.ts';
export { checkResource } from './resources.ts';
export type { ResourceCheck } from './resources.ts';
export type { ActionEvaluation, Violation } from './evaluate-action.ts';
export { activeBreakGlass, awaitsReview, sessionEnded } from './breakglass.ts';
export { canApprove, isEligible, isEligibleForAny } from './eligibility.ts';
export { maxDistinctTeams } from './matching.ts';
export { evaluateProgress, progressLine } from './progress.ts';
export type { NameLookup } from './progress.ts';
