import type { Action, Binding, BreakGlassSession, Environment, Policy, Resource, User } from '../schemas/index.ts';

/** Everything the engine needs to judge one requested action; the caller resolves it from its store. */
export interface ActionInput {
  action: Action;
  resource: Resource;
  requester: User;
  justification: string;
  now: Date;
  /** The resolved resource.environmentId, if any. */
  environment?: Environment;
  /** All policies of the org. */
  policies: readonly Policy[];
  /** All bindings of the org. */
  bindings: readonly Binding[];
  /**
   * The org's environments. A cluster action (`cluster.*`, `command.execute`, `resource.delete`,
   * `token.issue`) is judged against every one of them on `resource.clusterId`; without this list
   * only the named environment counts.
   */
  environments?: readonly Environment[];
  /** The requester's sessions; the engine checks which are active at `now` and whose they are. */
  breakGlassSessions: readonly BreakGlassSession[];
}

/** The environments a cluster action touches: every environment on its cluster. Undefined for other actions. */
export function clusterEnvironments(
  input: Pick<ActionInput, 'action' | 'resource' | 'environment' | 'environments'>,
  isCluster: boolean,
): Environment[] | undefined {
  if (!isCluster) return undefined;
  const clusterId = input.resource.clusterId ?? input.environment?.clusterId;
  const out: Environment[] = [];
  if (clusterId !== undefined) for (const e of input.environments ?? []) if (e.clusterId === clusterId) out.push(e);
  if (input.environment !== undefined && !out.some((e) => e.id === input.environment!.id)) out.push(input.environment);
  return out;
}
