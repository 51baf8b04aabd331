// Offline policy preview: the shared engine run over the desktop cache, so the app can answer
// "can I approve?", "what is missing?" and "what would happen if I asked for this?" without the
// network — the same answers the server gives (GET /api/requests/:id and POST /api/requests run
// these very functions, with the same inputs resolved the same way).
import { FREEZE_AUTHORITY_REFUSAL, canApprove, checkResource, evaluateAction, evaluateProgress, mayFreeze } from '../../../shared/policy/index.ts';
import type { ActionEvaluation } from '../../../shared/policy/index.ts';
import type { RuleContent } from '../../../shared/policy/action-input.ts';
import type {
  Action,
  ApprovalRequest,
  Binding,
  BreakGlassSession,
  Cluster,
  Environment,
  Policy,
  Progress,
  Project,
  Resource,
  Team,
  User,
} from '../../../shared/schemas/index.ts';

export interface RequestPreview {
  /** What GET /api/requests/:id answers as `canApprove` for `me`. */
  canApprove: boolean;
  /** What GET /api/requests/:id answers as `progress` (user and team names resolved). */
  progress: Progress;
  /** While pending: every missing phrase of every unpassed gate ("Prod gate: 1 more approval"). */
  missing: string[];
  /** While pending: users eligible for an unpassed gate who have not decided yet, by name. */
  whoCanStillApprove: { id: string; name: string }[];
}

export interface PreviewRequestOptions {
  /**
   * The current time. When given, a pending request past its expiresAt is not approvable: the
   * server's sweeper is about to expire it and would answer a decision with 409. Leave it out to
   * get exactly the server's GET answer for the cached state.
   */
  now?: Date;
}

/** The request's standing for `me`, computed from the cached users and teams. */
export function previewRequest(
  request: ApprovalRequest,
  me: User,
  users: ReadonlyMap<string, User>,
  teams: ReadonlyMap<string, Team>,
  options: PreviewRequestOptions = {},
): RequestPreview {
  // The server's lookups exactly (server/http/routes/requests.ts).
  const progress = evaluateProgress(request, users, {
    user: (id) => users.get(id)?.name,
    team: (id) => teams.get(id)?.name,
  });
  const expired = options.now !== undefined && Date.parse(request.expiresAt) <= options.now.getTime();
  const missing: string[] = [];
  const who: { id: string; name: string }[] = [];
  if (progress.status === 'pending') {
    const unmet = progress.gates.filter((g) => !g.passed);
    const seen = new Set<string>();
    for (const g of unmet) {
      for (const m of g.missing) missing.push(progress.gates.length > 1 ? `${g.name}: ${m}` : m);
      for (const id of g.canStillApprove) {
        if (seen.has(id)) continue;
        seen.add(id);
        who.push({ id, name: users.get(id)?.name ?? id });
      }
    }
  }
  return { canApprove: !expired && canApprove(request, me), progress, missing, whoCanStillApprove: who };
}

export interface ActionDraft {
  action: Action;
  resource: Resource;
  justification?: string;
  /** What content rules read of the request (its diff's risk facts, cost, plan). */
  content?: RuleContent;
}

/** The cached directory the engine needs. Sessions may be everyone's: the engine keeps the requester's. */
export interface PreviewDirectory {
  environments: ReadonlyMap<string, Environment> | readonly Environment[];
  policies: readonly Policy[];
  bindings: readonly Binding[];
  breakGlassSessions: readonly BreakGlassSession[];
  /** When given, unknown project / cluster ids are refused as the server refuses them. */
  projects?: ReadonlyMap<string, Project> | readonly Project[];
  clusters?: ReadonlyMap<string, Cluster> | readonly Cluster[];
  /** Content rules read names, not ids; without them names read as empty strings. */
  users?: readonly User[];
  teams?: readonly Team[];
}

/** A draft the server would refuse with 400 before evaluating it (the same message). */
export class PreviewInputError extends Error {
  override readonly name = 'PreviewInputError';
  readonly status = 400;
  readonly code = 'invalid_request';
}

function find<T extends { id: string }>(from: ReadonlyMap<string, T> | readonly T[], id: string): T | undefined {
  if (from instanceof Map) return from.get(id);
  return (from as readonly T[]).find((x) => x.id === id);
}

/** A refusal the server makes before the engine runs: no freeze authority (403), already frozen / not frozen (409). */
export interface PreviewRefusal {
  status: 403 | 409;
  code: 'forbidden' | 'already_frozen' | 'not_frozen';
  message: string;
}

/** The engine's evaluation, or a refusal the server would answer before evaluating. */
export type ActionPreview = ActionEvaluation & { refusal?: PreviewRefusal };

function refusal(r: PreviewRefusal): ActionPreview {
  return { outcome: 'deny', refusal: r, gates: [], bypassed: [], warnings: [] };
}

/**
 * What the server would decide if `me` asked for this action now: allow / warn / pending (with the
 * gates to satisfy) / deny (422 or 423 with the server's message, or the 403 / 409 the server
 * answers before evaluating a freeze or unfreeze). The resource is resolved as the server resolves
 * it (checkResource: the environment fills in its project and cluster; deploy-like actions need an
 * environment, cluster actions a cluster), and the engine gets every cached environment, so a
 * cluster action is judged against every environment on its cluster, as on the server. An unknown
 * or inconsistent resource throws PreviewInputError with the server's 400 message.
 */
export function previewAction(draft: ActionDraft, me: User, directory: PreviewDirectory, now: Date): ActionPreview {
  const environments = directory.environments instanceof Map ? [...directory.environments.values()] : (directory.environments as readonly Environment[]);
  // Freezing and unfreezing: authority before anything else (the HTTP layer's 403), as the server does.
  const freezing = draft.action === 'environment.freeze' || draft.action === 'environment.unfreeze';
  if (freezing && !mayFreeze(me)) return refusal({ status: 403, code: 'forbidden', message: FREEZE_AUTHORITY_REFUSAL });
  let environment: Environment | undefined;
  if (draft.resource.environmentId !== undefined) {
    environment = find(directory.environments, draft.resource.environmentId);
    if (!environment) throw new PreviewInputError(`resource.environmentId: unknown environment "${draft.resource.environmentId}"`);
  }
  if (freezing && environment) {
    if (draft.action === 'environment.freeze' && environment.protection === 'locked') {
      return refusal({ status: 409, code: 'already_frozen', message: `environment "${environment.name}" is already frozen` });
    }
    if (draft.action === 'environment.unfreeze' && environment.protection !== 'locked') {
      return refusal({ status: 409, code: 'not_frozen', message: `environment "${environment.name}" is not frozen` });
    }
  }
  const checked = checkResource(draft.action, draft.resource, environment);
  if (!checked.ok) throw new PreviewInputError(checked.message);
  const resource = checked.resource;
  if (resource.projectId !== undefined && directory.projects && !find(directory.projects, resource.projectId)) {
    throw new PreviewInputError(`resource.projectId: unknown project "${resource.projectId}"`);
  }
  if (resource.clusterId !== undefined && directory.clusters && !find(directory.clusters, resource.clusterId)) {
    throw new PreviewInputError(`resource.clusterId: unknown cluster "${resource.clusterId}"`);
  }
  return evaluateAction({
    action: draft.action,
    resource,
    requester: me,
    justification: draft.justification ?? '',
    now,
    ...(environment ? { environment } : {}),
    environments,
    policies: directory.policies,
    bindings: directory.bindings,
    breakGlassSessions: directory.breakGlassSessions,
    ...(draft.content ? { content: draft.content } : {}),
    ...(directory.users && directory.teams
      ? { directory: { users: directory.users, teams: directory.teams, projects: list(directory.projects), clusters: list(directory.clusters) } }
      : {}),
  });
}

function list<T>(from: ReadonlyMap<string, T> | readonly T[] | undefined): readonly T[] {
  if (from === undefined) return [];
  return from instanceof Map ? [...from.values()] : (from as readonly T[]);
}
