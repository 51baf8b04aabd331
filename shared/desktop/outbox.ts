// What the desktop queues while it waits for the server: decisions and other mutations, each sent
// later with its idempotency key. Field limits are the server's body schemas', so a queued op is
// one the server accepts. Shared so the IPC contract and the outbox use one definition.
import { z } from 'zod';
import { ApproveBody, BreakGlassScope, CreateRequestBody, FreezeBody, Id, IsoTime, RejectBody, StartBreakGlassBody, UnfreezeBody } from '../schemas/index.ts';

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

/** A new request filed offline (or online: one path), with its diff and cost; the server evaluates it when it arrives. */
export const RequestCreateOp = z.strictObject({ type: z.literal('request.create'), ...CreateRequestBody.shape });
export type RequestCreateOp = z.infer<typeof RequestCreateOp>;

export const OutboxOp = z.discriminatedUnion('type', [
  ApproveOp,
  RejectOp,
  CancelOp,
  FreezeOp,
  UnfreezeOp,
  BreakGlassStartOp,
  BreakGlassRevokeOp,
  RequestCreateOp,
]);
export type OutboxOp = z.infer<typeof OutboxOp>;
export type OutboxOpType = OutboxOp['type'];

export const OutboxConflict = z.object({ status: z.number().int(), code: z.string(), message: z.string() });
export type OutboxConflict = z.infer<typeof OutboxConflict>;

export const OutboxState = z.enum(['queued', 'sending', 'conflict']);
export type OutboxState = z.infer<typeof OutboxState>;

/**
 * Who queued an entry, for which server: it is sent only while that same user is signed in to that
 * same server (and, when both are known, the same database: `serverId`), never under another token.
 */
export const OutboxOwner = z.object({
  userId: z.string(),
  /** For the conflict's words ("queued by …"). */
  userEmail: z.string().optional(),
  serverUrl: z.string(),
  serverId: z.string().optional(),
});
export type OutboxOwner = z.infer<typeof OutboxOwner>;

/** The identity of the connection a drain sends with. */
export type OutboxIdentity = Pick<OutboxOwner, 'userId' | 'serverUrl' | 'serverId'>;

export const OutboxEntry = z.object({
  id: z.string(),
  /** Sent as Idempotency-Key: a resend after a crash is answered, not applied twice. */
  idempotencyKey: z.string(),
  op: OutboxOp,
  queuedAt: IsoTime,
  /**
   * Held until then (an undo window, like an undo-send): not sent before, and `outbox.undo` may
   * still remove it. A crash during the window does not cancel it: after a restart it is sent.
   */
  holdUntil: IsoTime.optional(),
  state: OutboxState,
  /** Who queued it and for which server; absent only on entries journaled before this was recorded (they are never sent). */
  owner: OutboxOwner.optional(),
  /**
   * Set when state is 'conflict': the server's answer, shown until dismissed; or, with status 0,
   * why it was never sent (`other_identity`: queued by another user or for another server;
   * `signed_out`: its user signed out before it was sent).
   */
  error: OutboxConflict.optional(),
  /** The last transient failure (network, 5xx, 401) while it stays queued. */
  lastError: z.string().optional(),
});
export type OutboxEntry = z.infer<typeof OutboxEntry>;
