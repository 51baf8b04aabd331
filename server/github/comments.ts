// What Gatehouse tells a GitHub run: the verdict with its reason, or how far the request has got.
// GitHub shows the comment on the run's page, so it names people and says what is still missing.
import { evaluateProgress, progressLine } from '../../shared/policy/index.ts';
import type { ApprovalRequest } from '../../shared/schemas/index.ts';
import { requestLinks, type Directory } from '../notify/notices.ts';

/** GitHub's limit on a review comment is generous; a comment is kept short enough to read on the run's page. */
const MAX_COMMENT = 1000;

export interface CallbackBody {
  environment_name: string;
  state?: 'approved' | 'rejected';
  comment: string;
}

function clip(text: string): string {
  return text.length <= MAX_COMMENT ? text : `${text.slice(0, MAX_COMMENT - 1)}…`;
}

function nameOf(dir: Directory, id: string): string {
  return id === 'system' ? 'Gatehouse' : (dir.users.get(id)?.name ?? id);
}

function link(dir: Directory, request: ApprovalRequest): string {
  const links = requestLinks(dir.settings, request.id);
  return links.web ?? links.app;
}

/** While pending: what just happened (who approved), how far it is and what is missing. */
export function progressComment(dir: Directory, request: ApprovalRequest, lead?: string): string {
  const progress = progressLine(evaluateProgress(request, dir.users, { user: (id) => dir.names.get(id), team: (id) => dir.names.get(id) }));
  return clip(`${lead ? `${lead}. ` : ''}Waiting for approval in Gatehouse (${request.id}): ${progress}. Review: ${link(dir, request)}`);
}

/** The verdict on a settled request, with the reason GitHub shows. */
export function verdictComment(dir: Directory, request: ApprovalRequest, reason: { actorId: string; message?: string }): string {
  const decisive = request.decisions.findLast((d) => d.userId === reason.actorId);
  const by = nameOf(dir, reason.actorId);
  switch (request.status) {
    case 'approved': {
      const approvers = request.decisions.filter((d) => d.kind === 'approve').map((d) => nameOf(dir, d.userId));
      const what = approvers.length ? `approved by ${approvers.join(', ')}` : request.gates.length ? `approved by ${by}` : 'no approval required';
      return clip(`Approved in Gatehouse (${request.id}): ${what}.`);
    }
    case 'rejected': {
      const why = reason.message ?? (decisive?.kind === 'reject' ? decisive.comment : undefined);
      return clip(`Rejected in Gatehouse (${request.id}) by ${by}${why ? `: ${why}` : '.'}`);
    }
    case 'cancelled':
      return clip(`Cancelled in Gatehouse (${request.id}) by ${by}.`);
    case 'expired':
      return clip(`Expired in Gatehouse (${request.id}): not approved before ${request.expiresAt}.`);
    default:
      return progressComment(dir, request);
  }
}

/** A deployment refused before any request was made (locked environment, unlinked repository, …). */
export function refusalComment(message: string): string {
  return clip(`Refused by Gatehouse: ${message}`);
}
