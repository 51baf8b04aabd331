import type { Action, ApprovalRequest, CreateRequestBody, User } from '../../shared/schemas/index.ts';
import type { Effect, StoreTx } from '../store/types.ts';
import { audit, type ServiceContext } from './context.ts';
import { bypassDetails, type Evaluated } from './evaluate.ts';
import { newId, sha256Hex } from './ids.ts';

function countLines(text: string | undefined): number {
  if (!text) return 0;
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return text.endsWith('\n') ? n : n + 1;
}

export interface NewRequest {
  action: Action;
  justification: string;
  payload?: CreateRequestBody['payload'];
  /**
   * Only on a request the evaluation holds: the approval that completes it applies the effect
   * (requests.ts `decide`); an allowed action is applied by its service directly.
   */
  effect?: Effect;
}

/** Records a request after evaluation: pending with its gates, or approved at once. */
export async function createRequest(ctx: ServiceContext, tx: StoreTx, actor: User, e: Evaluated, input: NewRequest): Promise<ApprovalRequest> {
  const now = ctx.now();
  const { revision, diff, summary, cost, plan } = input.payload ?? {};
  const ev = e.evaluation;
  const status = ev.outcome === 'pending' ? 'pending' : 'approved';
  const request: ApprovalRequest = {
    id: newId('req'),
    action: input.action,
    resource: e.resource,
    requesterId: actor.id,
    justification: input.justification,
    payload: {
      ...(revision !== undefined ? { revision } : {}),
      ...(summary !== undefined ? { summary } : {}),
      ...(cost !== undefined ? { cost } : {}),
      ...(plan !== undefined ? { plan } : {}),
      diffBytes: diff ? Buffer.byteLength(diff, 'utf8') : 0,
      diffLines: countLines(diff),
    },
    // The SHA-256 of exactly the bytes GET /api/requests/:id/diff serves (the UTF-8 diff, empty
    // without one), so a reviewer can check what they read is what they approve.
    digest: sha256Hex(diff ?? ''),
    gates: ev.gates,
    decisions: [],
    status,
    warnings: ev.warnings,
    nudges: [],
    ...(e.content?.risk ? { risk: e.content.risk } : {}),
    ...(ev.ruleResults ? { ruleResults: ev.ruleResults } : {}),
    ...(ev.breakGlassSessionId ? { breakGlassSessionId: ev.breakGlassSessionId } : {}),
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + ctx.requestTtlMs).toISOString(),
  };
  await tx.insertRequest(request, diff, input.effect);
  await audit(
    tx,
    now,
    actor,
    'request.created',
    request.id,
    {
      action: request.action,
      resource: request.resource,
      status,
      justification: request.justification,
      revision,
      cost,
      digest: request.digest,
      gates: ev.gates.map((g) => ({ gateId: g.id, name: g.name })),
      bypassed: bypassDetails(ev),
      warnings: ev.warnings,
      risk: request.risk,
      ruleResults: ev.ruleResults,
    },
    ev.breakGlassSessionId,
  );
  return request;
}
