// The gates a requested action must pass (docs/policies.md, "Gates").
import type { Environment, Gate } from '../schemas/index.ts';
import type { ActionInput } from './action-input.ts';
import { bindingCovers } from './bindings.ts';
import { conditionsHold } from './conditions.ts';
import { authorityGate, gateFromPolicy, isDeployLike, needsAuthorityApproval, restrictedGate } from './gates.ts';

/**
 * The environment's Restricted gate (deploy-like actions only: Restricted is about deployments),
 * or, for a protection change asked for by someone who is not an owner or admin, the implicit
 * "Owner or admin approval" gate (always there, whatever the policies say), then, in the order of `policies`, every policy bound anywhere over the resource whose
 * actions include the action and whose conditions hold at `now`. A policy bound at several levels
 * is one gate: it is the same rule, and counting it twice would demand nothing more.
 */
export function collectGates(input: ActionInput, clusterEnvs?: readonly Environment[]): Gate[] {
  if (clusterEnvs !== undefined) return collectClusterGates(input, clusterEnvs);
  const { action, resource, environment, policies, bindings, now } = input;
  const gates: Gate[] = [];
  if (environment !== undefined && environment.protection === 'restricted' && isDeployLike(action)) {
    gates.push(restrictedGate(environment));
  }
  if (needsAuthorityApproval(action, input.requester)) {
    gates.push(authorityGate(environment?.id ?? resource.environmentId));
  }
  // One pass over the bindings instead of one per policy: O(P + B) rather than O(P × B).
  let bound: Set<string> | undefined;
  for (let i = 0; i < bindings.length; i++) {
    const b = bindings[i]!;
    if (bindingCovers(b, resource, environment)) (bound ??= new Set()).add(b.policyId);
  }
  if (bound === undefined) return gates;
  const environmentName = environment?.name;
  for (let i = 0; i < policies.length; i++) {
    const policy = policies[i]!;
    if (!policy.actions.includes(action)) continue;
    if (!bound.has(policy.id)) continue;
    if (!conditionsHold(policy.conditions, environmentName, now)) continue;
    // Forgetting the id keeps a policy listed twice from making two gates.
    bound.delete(policy.id);
    gates.push(gateFromPolicy(policy));
  }
  return gates;
}

/**
 * A cluster action's gates: every policy for the action that is bound over the cluster itself or
 * over any environment on it, with its conditions holding for that environment (the strictest
 * reading: a policy that would gate any of them gates the action). Restricted is about deploys,
 * so it adds no gate here.
 */
function collectClusterGates(input: ActionInput, clusterEnvs: readonly Environment[]): Gate[] {
  const { action, resource, policies, bindings, now } = input;
  const contexts: (Environment | undefined)[] = [undefined, ...clusterEnvs];
  const gates: Gate[] = [];
  for (let i = 0; i < policies.length; i++) {
    const policy = policies[i]!;
    if (!policy.actions.includes(action)) continue;
    const applies = contexts.some(
      (env) =>
        bindings.some((b) => b.policyId === policy.id && bindingCovers(b, env ? { ...resource, environmentId: env.id } : resource, env)) &&
        conditionsHold(policy.conditions, env?.name, now),
    );
    if (applies && !gates.some((g) => g.id === policy.id)) gates.push(gateFromPolicy(policy));
  }
  return gates;
}
