// POST /api/policies/evaluate: the engine run exactly as creating the request would run it, with
// nothing written (no request, no audit record), so a policy author can see a rule's effect first.
import { isAdmin } from '../../shared/policy/index.ts';
import { withDraft } from '../../shared/policy/try-draft.ts';
import type { EvaluatePolicyBody, EvaluatePolicyResponse, User } from '../../shared/schemas/index.ts';
import type { StoreReader } from '../store/types.ts';
import type { ServiceContext } from './context.ts';
import { assertRulesCompile } from './directory.ts';
import { forbidden, invalid } from './errors.ts';
import { evaluate } from './evaluate.ts';
import { requestContent } from '../../shared/policy/request-content.ts';

export async function dryRun(ctx: ServiceContext, store: StoreReader, actor: User, body: EvaluatePolicyBody): Promise<EvaluatePolicyResponse> {
  const forOther = body.requesterId !== undefined && body.requesterId !== actor.id;
  // Someone else's outcome shows what gates them, and a draft is an unsaved policy: both are
  // the directory's business, like saving a policy is.
  if ((forOther || body.policy !== undefined) && !isAdmin(actor)) {
    throw forbidden(forOther ? 'only owners and admins can evaluate a request for someone else' : 'only owners and admins can evaluate a draft policy');
  }
  let requester = actor;
  if (forOther) {
    const user = await store.get('user', body.requesterId!);
    if (!user) throw invalid(`requesterId: unknown user "${body.requesterId}"`, [{ path: ['requesterId'], message: 'unknown user' }]);
    requester = user;
  }
  let policySet: Parameters<typeof evaluate>[7];
  if (body.policy !== undefined) {
    const { binding, ...draft } = body.policy;
    assertRulesCompile(draft.rules);
    policySet = withDraft({ policies: await store.list('policy'), bindings: await store.list('binding') }, { ...draft, bindings: [binding] });
  }
  const e = await evaluate(ctx, store, requester, body.action, body.resource, body.justification ?? '', requestContent(body.payload), policySet);
  const ev = e.evaluation;
  const violations = ev.deny === undefined ? [] : (ev.deny.details ?? [{ message: ev.deny.message }]);
  return { outcome: ev.outcome, gates: ev.gates, warnings: ev.warnings, violations, rules: ev.ruleResults ?? [] };
}
