// Running the policy engine for an action inside a transaction, and recording a refusal. Every
// service that can be gated (requests, environments, break-glass) starts here.
import type { Action, Binding, Environment, Policy, Resource, User } from '../../shared/schemas/index.ts';
import { checkResource, evaluateAction, type ActionEvaluation } from '../../shared/policy/index.ts';
import type { RuleContent, RuleDirectory } from '../../shared/policy/action-input.ts';
import type { StoreReader, StoreTx } from '../store/types.ts';
import { audit, type ServiceContext } from './context.ts';
import { DomainError, invalid, type DomainErrorKind } from './errors.ts';
import { refused, type Result } from './result.ts';

export interface Evaluated {
  evaluation: ActionEvaluation;
  resource: Resource;
  environment?: Environment;
  /** What content rules read of the request; only requests made through POST /api/requests carry any. */
  content?: RuleContent;
}

/** The names content rules show in place of ids. */
export async function ruleDirectory(tx: StoreReader): Promise<RuleDirectory> {
  return { users: await tx.list('user'), teams: await tx.list('team'), projects: await tx.list('project'), clusters: await tx.list('cluster') };
}

/**
 * Fills the resource from its environment and refuses ids that don't exist (400 invalid_request)
 * or disagree (400 invalid_resource, see shared/policy/resources.ts).
 */
export async function resolveResource(tx: StoreReader, resource: Resource, action: Action): Promise<{ resource: Resource; environment?: Environment }> {
  let environment: Environment | undefined;
  if (resource.environmentId !== undefined) {
    environment = await tx.get('environment', resource.environmentId);
    if (!environment) throw invalid(`resource.environmentId: unknown environment "${resource.environmentId}"`);
  }
  const checked = checkResource(action, resource, environment);
  if (!checked.ok) throw new DomainError('invalid_request', 'invalid_resource', checked.message);
  const out = checked.resource;
  if (out.projectId !== undefined && !(await tx.get('project', out.projectId))) throw invalid(`resource.projectId: unknown project "${out.projectId}"`);
  if (out.clusterId !== undefined && !(await tx.get('cluster', out.clusterId))) throw invalid(`resource.clusterId: unknown cluster "${out.clusterId}"`);
  return environment ? { resource: out, environment } : { resource: out };
}

/**
 * Judges an action with the saved policies. `content` is the request's body as rules read it;
 * the other gated services (freeze, protection, break-glass) have none, and their rules see an
 * empty request. `policies` and `bindings` replace the saved ones for a dry run with a draft.
 */
export async function evaluate(
  ctx: ServiceContext,
  tx: StoreReader,
  actor: User,
  action: Action,
  resource: Resource,
  justification: string,
  content?: RuleContent,
  policySet?: { policies: readonly Policy[]; bindings: readonly Binding[] },
): Promise<Evaluated> {
  const resolved = await resolveResource(tx, resource, action);
  const evaluation = evaluateAction({
    action,
    resource: resolved.resource,
    requester: actor,
    justification,
    now: ctx.now(),
    ...(resolved.environment ? { environment: resolved.environment } : {}),
    environments: await tx.list('environment'),
    policies: policySet?.policies ?? (await tx.list('policy')),
    bindings: policySet?.bindings ?? (await tx.list('binding')),
    breakGlassSessions: await tx.sessionsOf(actor.id),
    ...(content ? { content } : {}),
    directory: await ruleDirectory(tx),
  });
  return { evaluation, ...resolved, ...(content ? { content } : {}) };
}

const DENIAL_KIND: Record<NonNullable<ActionEvaluation['deny']>['code'], DomainErrorKind> = {
  policy_violations: 'policy_violation',
  environment_locked: 'locked',
};

/** A denied action is recorded in the audit log, and that record commits with the refusal. */
export async function refuse(ctx: ServiceContext, tx: StoreTx, actor: User, action: Action, e: Evaluated): Promise<Result<never>> {
  const deny = e.evaluation.deny!;
  await audit(tx, ctx.now(), actor, 'request.refused', action, {
    action,
    resource: e.resource,
    status: deny.status,
    code: deny.code,
    message: deny.message,
    details: deny.details,
  });
  return refused(new DomainError(DENIAL_KIND[deny.code], deny.code, deny.message, deny.details));
}

export function bypassDetails(evaluation: ActionEvaluation) {
  return evaluation.bypassed.map((b) => ({ gateId: b.gate.id, name: b.gate.name, by: b.by }));
}
