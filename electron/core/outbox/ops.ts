// The decisions the outbox can hold, zod-validated at enqueue (and again when the journal is
// replayed). Field limits are the server's body schemas', so a queued op is one the server accepts.
import { z } from 'zod';
import { ApproveBody, BreakGlassScope, FreezeBody, Id, RejectBody, StartBreakGlassBody, UnfreezeBody } from '../../../shared/schemas/index.ts';

export const ApproveOp = z.strictObject({ type: z.literal('approve'), requestId: Id, ...ApproveBody.shape });
export const RejectOp = z.strictObject({ type: z.literal('reject'), requestId: Id, ...RejectBody.shape });
export const CancelOp = z.strictObject({ type: z.literal('cancel'), requestId: Id });
export const FreezeOp = z.strictObject({ type: z.literal('freeze'), environmentId: Id, ...FreezeBody.shape });
export const UnfreezeOp = z.strictObject({ type: z.literal('unfreeze'), environmentId: Id, ...UnfreezeBody.shape });
export const BreakGlassStartOp = z.strictObject({
  type: z.literal('breakglass.start'),
  ...StartBreakGlassBody.shape,
  scope: BreakGlassScope.strict(),
});
export const BreakGlassRevokeOp = z.strictObject({ type: z.literal('breakglass.revoke'), sessionId: Id });

export const OutboxOp = z.discriminatedUnion('type', [ApproveOp, RejectOp, CancelOp, FreezeOp, UnfreezeOp, BreakGlassStartOp, BreakGlassRevokeOp]);
export type OutboxOp = z.infer<typeof OutboxOp>;
export type OutboxOpType = OutboxOp['type'];
