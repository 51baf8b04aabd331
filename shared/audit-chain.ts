// What the audit chain's hashes and checkpoint signatures cover, in one place for the server that
// writes them and the desktop that witnesses them (electron/core/witness). No crypto here: shared/
// also runs in the renderer; each side hashes (SHA-256) and verifies (Ed25519) with node:crypto.
import type { AuditEvent } from './schemas/index.ts';

/** The prevHash of the first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** JSON with object keys sorted at every depth, so the same event always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.keys(value)
    .sort()
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

export type HashedAuditFields = Pick<AuditEvent, 'seq' | 'at' | 'actorId' | 'type' | 'subject' | 'details' | 'breakGlassSessionId'>;

/** An event's hash is SHA-256 over its prevHash (hex text) followed by this text. */
export function auditHashInput(event: HashedAuditFields): string {
  const { seq, at, actorId, type, subject, details, breakGlassSessionId } = event;
  return canonicalJson({ seq, at, actorId, type, subject, details, breakGlassSessionId });
}

/** The UTF-8 text a checkpoint's Ed25519 signature covers. */
export function checkpointText(seq: number, hash: string): string {
  return `${seq}.${hash}`;
}
