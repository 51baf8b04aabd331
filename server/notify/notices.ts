// From what happened (a committed audit event, or a reminder the clock made due) to a notice: the
// notification event, what it is about, what a message carries and who the people concerned are.
import type { ApprovalRequest, AuditEvent, Progress, BreakGlassSession, Environment, NotifyEvent, OrgSettings, User } from '../../shared/schemas/index.ts';
import { ACTION_LABELS, resourceLabel } from '../../shared/inbox.ts';
import { evaluateProgress, progressLine } from '../../shared/policy/index.ts';
import { riskRows } from '../../shared/diff/risk-rows.ts';
import type { StoreReader } from '../store/types.ts';

export interface Notice {
  event: NotifyEvent | 'channel.test';
  /** When it happened. */
  at: string;
  /** The request, session, environment or channel it is about. */
  subject: string;
  projectId?: string;
  environmentId?: string;
  /** The webhook body's `data`. */
  data: Record<string, unknown>;
  /** The people concerned, for channels without their own recipients. */
  people: User[];
  /** Users who get it by email whatever their preferences (the security teams, for break-glass). */
  always: Set<string>;
  /** Sent to every channel whatever its filters (break-glass start). */
  everywhere: boolean;
  /** For people: a headline, the facts as label/value pairs, a longer text, and a link. */
  title: string;
  fields: [string, string][];
  text?: string;
  requestId?: string;
}

/** What a notice's words and people are built from: the directory, read once per batch. */
export interface Directory {
  users: Map<string, User>;
  names: Map<string, string>;
  environments: Map<string, Environment>;
  settings: OrgSettings;
}

export async function readDirectory(store: StoreReader): Promise<Directory> {
  const [users, teams, projects, clusters, environments, settings] = await Promise.all([
    store.list('user'),
    store.list('team'),
    store.list('project'),
    store.list('cluster'),
    store.list('environment'),
    store.settings(),
  ]);
  const names = new Map<string, string>();
  for (const x of [...users, ...teams, ...projects, ...clusters, ...environments]) names.set(x.id, x.name);
  return { users: new Map(users.map((u) => [u.id, u])), names, environments: new Map(environments.map((e) => [e.id, e])), settings };
}

const active = (users: Iterable<User | undefined>): User[] => [...new Set([...users].filter((u): u is User => u !== undefined && u.active !== false))];

export function resourceName(dir: Directory, r: ApprovalRequest['resource']): string {
  return resourceLabel(
    r,
    (id) => dir.environments.get(id),
    (id) => dir.names.get(id) ?? id,
  );
}

export function requestLinks(settings: OrgSettings, id: string): { app: string; web?: string } {
  const app = `gatehouse://request/${encodeURIComponent(id)}`;
  return settings.publicUrl ? { app, web: `${settings.publicUrl.replace(/\/+$/, '')}/#/request/${encodeURIComponent(id)}` } : { app };
}

/** "Deleted resources: 2 · RBAC changes: 1": the risk facts found, in the diff viewer's words. */
export function riskWords(request: ApprovalRequest): string | undefined {
  const r = request.risk;
  if (!r) return undefined;
  const words = riskRows(r).map(({ label, count }) => `${label}: ${count}`);
  if (!r.complete) words.push('analysis incomplete');
  return words.length ? words.join(' · ') : 'no risky changes found';
}

/** Eligible approvers of the gates still short, who have not decided. */
function undecidedApprovers(dir: Directory, progress: Progress): User[] {
  return active(progress.gates.filter((g) => !g.passed).flatMap((g) => g.canStillApprove.map((id) => dir.users.get(id))));
}

function person(dir: Directory, id: string): { id: string; name: string } {
  return { id, name: id === 'system' ? 'Gatehouse' : (dir.users.get(id)?.name ?? id) };
}

const OUTCOME_TITLE: Record<string, string> = {
  approved: 'Approved',
  rejected: 'Rejected',
  cancelled: 'Cancelled',
  expired: 'Expired',
};

export type RequestNoticeKind =
  | { event: 'request.pending' }
  | { event: 'request.updated'; actorId: string; decision?: { kind: 'approve' | 'reject'; comment?: string }; nudged?: boolean }
  | { event: 'request.decided'; actorId: string; outcome: string; decision?: { kind: 'approve' | 'reject'; comment?: string }; reason?: string }
  | { event: 'request.escalated'; gate: string; afterMinutes: number }
  | { event: 'request.reminder'; n: number }
  | { event: 'request.expiring' };

/** A notice about a request, worded for its event. */
export function requestNotice(dir: Directory, request: ApprovalRequest, at: string, kind: RequestNoticeKind): Notice {
  const what = `${ACTION_LABELS[request.action]} · ${resourceName(dir, request.resource)}`;
  const requester = person(dir, request.requesterId);
  const evaluated = evaluateProgress(request, dir.users, { user: (id) => dir.names.get(id), team: (id) => dir.names.get(id) });
  const progress = progressLine(evaluated);
  const risk = riskWords(request);
  const summary = {
    id: request.id,
    action: request.action,
    resource: request.resource,
    resourceName: resourceName(dir, request.resource),
    requester,
    justification: request.justification,
    status: request.status,
    ...(request.payload.summary ? { summary: request.payload.summary } : {}),
    ...(request.payload.revision ? { revision: request.payload.revision } : {}),
    ...(risk ? { risk } : {}),
    progress,
    links: requestLinks(dir.settings, request.id),
  };
  const data: Record<string, unknown> = { request: summary };
  let title: string;
  let people: User[];
  let text: string | undefined;
  switch (kind.event) {
    case 'request.pending':
      title = `Waiting for you: ${what}`;
      people = undecidedApprovers(dir, evaluated);
      break;
    case 'request.reminder':
      title = `Still waiting for you: ${what}`;
      data.reminder = { n: kind.n };
      people = undecidedApprovers(dir, evaluated);
      break;
    case 'request.escalated':
      title = `Escalated to you: ${what}`;
      data.escalation = { gate: kind.gate, afterMinutes: kind.afterMinutes };
      text = `${kind.gate} was still short of its quorum after ${kind.afterMinutes} min: its escalation approvers may approve now.`;
      people = undecidedApprovers(dir, evaluated);
      break;
    case 'request.expiring':
      title = `Expires within a day: ${what}`;
      people = active([dir.users.get(request.requesterId), ...undecidedApprovers(dir, evaluated)]);
      break;
    case 'request.updated': {
      const actor = person(dir, kind.actorId);
      data.actor = actor;
      if (kind.decision) data.decision = kind.decision;
      title = kind.nudged
        ? `${actor.name} asks you to review: ${what}`
        : `${actor.name} ${kind.decision?.kind === 'reject' ? 'rejected' : 'approved'}: ${what}`;
      text = kind.decision?.comment;
      people = undecidedApprovers(dir, evaluated).filter((u) => u.id !== kind.actorId);
      break;
    }
    case 'request.decided': {
      const actor = person(dir, kind.actorId);
      data.actor = actor;
      data.outcome = kind.outcome;
      if (kind.decision) data.decision = kind.decision;
      title = `${OUTCOME_TITLE[kind.outcome] ?? kind.outcome}: ${what}`;
      if (kind.reason) data.reason = kind.reason;
      text = kind.decision?.comment ?? kind.reason;
      people = kind.actorId === request.requesterId ? [] : active([dir.users.get(request.requesterId)]);
      break;
    }
  }
  return {
    event: kind.event,
    at,
    subject: request.id,
    ...(request.resource.projectId ? { projectId: request.resource.projectId } : {}),
    ...(request.resource.environmentId ? { environmentId: request.resource.environmentId } : {}),
    data,
    people,
    always: new Set(),
    everywhere: false,
    title,
    fields: [
      ['Action', ACTION_LABELS[request.action]],
      ['Resource', summary.resourceName],
      ['Requested by', requester.name],
      ['Justification', request.justification || '(none)'],
      ...(risk ? ([['Risk', risk]] as [string, string][]) : []),
      ['Progress', progress],
    ],
    ...(text ? { text } : {}),
    requestId: request.id,
  };
}

function securityMembers(dir: Directory): User[] {
  const teams = new Set(dir.settings.securityTeamIds);
  return active([...dir.users.values()].filter((u) => u.teamIds.some((t) => teams.has(t))));
}

function sessionNotice(dir: Directory, session: BreakGlassSession, event: AuditEvent, started: boolean): Notice {
  const holder = person(dir, session.userId);
  const security = securityMembers(dir);
  const scope = session.scope.environmentIds?.length
    ? `${session.scope.actions.join(', ')} on ${session.scope.environmentIds
        .map((id) => {
          const env = dir.environments.get(id);
          return env ? resourceName(dir, { environmentId: id }) : id;
        })
        .join(', ')}`
    : `${session.scope.actions.join(', ')} anywhere`;
  return {
    event: started ? 'breakglass.started' : 'breakglass.ended',
    at: event.at,
    subject: session.id,
    data: {
      session: {
        id: session.id,
        holder,
        reason: session.reason,
        scope: session.scope,
        startedAt: session.startedAt,
        expiresAt: session.expiresAt,
        ...(session.endedAt ? { endedAt: session.endedAt } : {}),
      },
      ...(started ? {} : { actor: person(dir, event.actorId) }),
    },
    people: security,
    always: started ? new Set(security.map((u) => u.id)) : new Set(),
    everywhere: started,
    title: started ? `Break-glass started by ${holder.name}` : `Break-glass ended: ${holder.name}’s session`,
    fields: [
      ['Holder', holder.name],
      ['Reason', session.reason],
      ['Scope', scope],
      ['Until', started ? session.expiresAt : (session.endedAt ?? session.expiresAt)],
    ],
  };
}

function environmentNotice(dir: Directory, env: Environment, event: AuditEvent): Notice {
  const frozen = event.type === 'environment.frozen';
  const actor = person(dir, event.actorId);
  const name = resourceName(dir, { environmentId: env.id });
  const reason = typeof event.details.reason === 'string' ? event.details.reason : undefined;
  const until = typeof event.details.until === 'string' ? event.details.until : undefined;
  const reviewers = active([
    ...env.reviewers.userIds.map((id) => dir.users.get(id)),
    ...[...dir.users.values()].filter((u) => u.teamIds.some((t) => env.reviewers.teamIds.includes(t))),
  ]).filter((u) => u.id !== event.actorId);
  return {
    event: frozen ? 'environment.frozen' : 'environment.unfrozen',
    at: event.at,
    subject: env.id,
    projectId: env.projectId,
    environmentId: env.id,
    data: {
      environment: { id: env.id, name: env.name, projectId: env.projectId, resourceName: name },
      actor,
      ...(reason ? { reason } : {}),
      ...(until ? { until } : {}),
    },
    people: reviewers,
    always: new Set(),
    everywhere: false,
    title: `${frozen ? 'Frozen' : 'Unfrozen'}: ${name}`,
    fields: [
      ['Environment', name],
      ['By', actor.name],
      ...(reason ? ([['Reason', reason]] as [string, string][]) : []),
      ...(until ? ([['Until', until]] as [string, string][]) : []),
    ],
  };
}

/** The notice an audit event makes, if any; read against the state as it is now. */
export async function noticeFor(store: StoreReader, dir: Directory, event: AuditEvent): Promise<Notice | undefined> {
  const d = event.details;
  switch (event.type) {
    case 'request.created':
    case 'request.approval':
    case 'request.rejection':
    case 'request.nudged':
    case 'request.approved':
    case 'request.rejected':
    case 'request.cancelled':
    case 'request.expired':
    case 'request.escalated': {
      const request = await store.get('request', event.subject);
      if (!request) return undefined;
      switch (event.type) {
        case 'request.created':
          return request.status === 'pending' ? requestNotice(dir, request, event.at, { event: 'request.pending' }) : undefined;
        case 'request.approval':
        case 'request.rejection':
          // A decision that settled the request is told by its request.approved / rejected.
          if (request.status !== 'pending') return undefined;
          return requestNotice(dir, request, event.at, {
            event: 'request.updated',
            actorId: event.actorId,
            decision: { kind: event.type === 'request.approval' ? 'approve' : 'reject', ...(typeof d.comment === 'string' ? { comment: d.comment } : {}) },
          });
        case 'request.nudged':
          return request.status === 'pending'
            ? requestNotice(dir, request, event.at, { event: 'request.updated', actorId: event.actorId, nudged: true })
            : undefined;
        case 'request.escalated':
          return request.status === 'pending'
            ? requestNotice(dir, request, event.at, { event: 'request.escalated', gate: String(d.name ?? ''), afterMinutes: Number(d.afterMinutes ?? 0) })
            : undefined;
        default: {
          // The decision that settled it (a rule's rejection has none; cancel and expiry neither).
          const decisive = request.decisions.findLast((x) => x.userId === event.actorId);
          const settled = event.type === 'request.approved' || (event.type === 'request.rejected' && event.details.by !== 'rule');
          return requestNotice(dir, request, event.at, {
            event: 'request.decided',
            actorId: event.actorId,
            outcome: event.type.slice('request.'.length),
            ...(settled && decisive ? { decision: { kind: decisive.kind, ...(decisive.comment ? { comment: decisive.comment } : {}) } } : {}),
            ...(event.details.by === 'rule' && typeof event.details.message === 'string' ? { reason: event.details.message } : {}),
          });
        }
      }
    }
    case 'breakglass.started':
    case 'breakglass.revoked':
    case 'breakglass.expired': {
      const session = await store.get('breakglass', event.subject);
      return session && sessionNotice(dir, session, event, event.type === 'breakglass.started');
    }
    case 'environment.frozen':
    case 'environment.unfrozen': {
      const env = dir.environments.get(event.subject) ?? (await store.get('environment', event.subject));
      return env && environmentNotice(dir, env, event);
    }
    default:
      return undefined;
  }
}
