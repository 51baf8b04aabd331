// The desktop as a witness of the server's audit chain (electron/core/witness): what it last
// verified, and the alert when the server's log no longer extends it.
import { z } from 'zod';
import { AuditCheckpoint, IsoTime } from '../schemas/index.ts';

export const WITNESS_REASONS = [
  /** The checkpoint this desktop verified is no longer served, or is served with another hash. */
  'checkpoint_gone',
  /** The events after the verified checkpoint do not link to it, or do not reach the newer checkpoint. */
  'diverged',
  /** A checkpoint names an event the server no longer has. */
  'truncated',
  /** A checkpoint's signature is not the remembered key's. */
  'signature',
  /** The server now presents another audit public key than the one first seen. */
  'key_changed',
] as const;
export const WitnessReason = z.enum(WITNESS_REASONS);
export type WitnessReason = z.infer<typeof WitnessReason>;

export const WitnessAlert = z.object({
  reason: WitnessReason,
  /** The seq of the checkpoint this desktop had verified (0: none yet, only the key). */
  seq: z.number().int().min(0),
  /** When this desktop verified it. */
  verifiedAt: IsoTime.optional(),
  /** When the contradiction was seen. */
  detectedAt: IsoTime,
  /** The sentence for the banner and the notification. */
  message: z.string(),
  /** What exactly did not hold (the seq, the hashes), for the curious and for bug reports. */
  detail: z.string(),
});
export type WitnessAlert = z.infer<typeof WitnessAlert>;

export const WitnessState = z.object({
  /** idle: nothing checked yet for this server; ok: the chain extends what was verified; alert: it does not. */
  state: z.enum(['idle', 'ok', 'alert', 'unsupported']),
  serverId: z.string().optional(),
  /** The last checkpoint this desktop verified itself, and when. */
  verified: z.object({ checkpoint: AuditCheckpoint, verifiedAt: IsoTime }).optional(),
  lastCheckAt: IsoTime.optional(),
  /** Why the last check could not finish (offline, server error); not an alert. */
  lastError: z.string().optional(),
  alert: WitnessAlert.optional(),
});
export type WitnessState = z.infer<typeof WitnessState>;
