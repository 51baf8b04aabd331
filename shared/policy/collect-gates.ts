// The gates a requested action must pass (docs/policies.md, "Gates").
import type { Gate } from '../schemas/index.ts';
import type { ActionInput } from './action-input.ts';
import { bindingCovers } from './bindings.ts';
import { conditionsHold } from './conditions.ts';
import { gateFromPolicy, isDeployLike, restrictedGate } from './gates.ts';

/**
 * The environment's Restricted gate (deploy-like actions only: Restricted is about deployments),
 * then, in the order of `policies`, every policy bound anywhere over the resource whose
 * actions include the action and whose conditions hold at `now`. A policy bound at several levels
 * is one gate: it is the same rule, and counting it twice would demand nothing more.
 */
export function collectGates(input: ActionInput): Gate[] {
  const { action, resource, environment, policies, bindings, now } = input;
  const gates: Gate[] = [];
  if (environment !== undefined && environment.protection === 'restricted' && isDeployLike(action)) {
    gates.push(restrictedGate(environment));
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
