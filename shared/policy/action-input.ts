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
  /** The requester's sessions; the engine checks which are active at `now` and whose they are. */
  breakGlassSessions: readonly BreakGlassSession[];
}
