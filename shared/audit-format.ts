// The audit export's event records, written the same by the server's export and by the desktop's
// filtered export (the rows a filter shows), so one reader takes both.
import type { AuditEvent } from './schemas/index.ts';

export const CSV_COLUMNS = ['seq', 'at', 'actorId', 'type', 'subject', 'breakGlass', 'breakGlassSessionId', 'details', 'prevHash', 'hash'] as const;

/** The CSV record that carries the checkpoint has this `type` (no event type looks like it). */
export const CSV_CHECKPOINT_TYPE = 'checkpoint';

/** A leading = + - @ (or tab, CR) that spreadsheets would run; read back by the export parser. */
export const DEFUSE = /^[=+\-@\t\r]/;

export function csvCell(value: unknown): string {
  const text = value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  // Quote always where needed; a leading = + - @ is defused so spreadsheets don't run it.
  const safe = DEFUSE.test(text) ? `'${text}` : text;
  return /[",\r\n']/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export const CSV_HEADER = `${CSV_COLUMNS.join(',')}\r\n`;

export function csvEventRecord(e: AuditEvent): string {
  return `${CSV_COLUMNS.map((c) => csvCell(e[c])).join(',')}\r\n`;
}

export function jsonlEventLine(e: AuditEvent): string {
  return `${JSON.stringify(e)}\n`;
}
