// Break-glass sessions in words, shared by the start form, past sessions and the review.
import type { BreakGlassSession, BreakGlassVerdict } from '../../../shared/schemas/index.ts';

/** "45 min", "1 h", "1 h 15 min". */
export function durationWords(m: number): string {
  const h = Math.floor(m / 60);
  const r = m % 60;
  return h === 0 ? `${r} min` : r === 0 ? `${h} h` : `${h} h ${r} min`;
}

/** How long the session ran: to its end, or to expiresAt (at least a minute). */
export function lasted(s: BreakGlassSession): string {
  const end = Date.parse(s.endedAt ?? s.expiresAt);
  return durationWords(Math.max(1, Math.round((end - Date.parse(s.startedAt)) / 60_000)));
}

export const VERDICT_LABELS: Record<BreakGlassVerdict, string> = { justified: 'Justified', unjustified: 'Unjustified' };
