import type {
  Action,
  Binding,
  BreakGlassSession,
  Cluster,
  Decision,
  Environment,
  Policy,
  Project,
  RequestCost,
  Resource,
  RiskFacts,
  Team,
  TerraformPlan,
  User,
} from '../schemas/index.ts';

/** What a request carries that content rules read; anything absent reads as none (no cost, `{}` plan, no risk). */
export interface RuleContent {
  revision?: string;
  cost?: RequestCost;
  plan?: TerraformPlan;
  /** The diff's facts (shared/diff/risk-facts.ts). */
  risk?: RiskFacts;
}

/** Names the rule input shows in place of ids (teams, projects, clusters, the approvers). */
export interface RuleDirectory {
  users: readonly User[];
  teams: readonly Team[];
  projects: readonly Project[];
  clusters: readonly Cluster[];
}

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
  /** For content rules; without it rules see an empty request body. */
  content?: RuleContent;
  /** For content rules' names; without it names read as empty strings. */
  directory?: RuleDirectory;
  /** The decisions so far (at a decision; none at creation): content rules read the approvals. */
  decisions?: readonly Decision[];
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
