// The audit export's two formats, written by GET /api/audit/export and read back by
// `gatehouse audit verify`: one event per JSONL line or CSV record, then one last line or record
// that carries the checkpoint the export ends with.
import { AuditCheckpoint, AuditEvent, AuditExportCheckpointLine } from '../../shared/schemas/index.ts';

export { CSV_COLUMNS, CSV_CHECKPOINT_TYPE, CSV_HEADER, csvCell, csvEventRecord, jsonlEventLine } from '../../shared/audit-format.ts';
import { CSV_COLUMNS, CSV_CHECKPOINT_TYPE, DEFUSE, csvCell } from '../../shared/audit-format.ts';

export function csvCheckpointRecord(cp: AuditCheckpoint): string {
  const cells: Record<(typeof CSV_COLUMNS)[number], unknown> = {
    seq: cp.seq,
    at: cp.at,
    actorId: undefined,
    type: CSV_CHECKPOINT_TYPE,
    subject: undefined,
    breakGlass: undefined,
    breakGlassSessionId: undefined,
    details: { signature: cp.signature },
    prevHash: undefined,
    hash: cp.hash,
  };
  return `${CSV_COLUMNS.map((c) => csvCell(cells[c])).join(',')}\r\n`;
}

export function jsonlCheckpointLine(cp: AuditCheckpoint): string {
  return `${JSON.stringify({ checkpoint: cp })}\n`;
}

/** RFC 4180 records (quoted fields, doubled quotes, CRLF or LF line ends). */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let cell = '';
  let quoted = false;
  let i = 0;
  const endRecord = () => {
    record.push(cell);
    records.push(record);
    record = [];
    cell = '';
  };
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 2;
      } else {
        if (c === '"') quoted = false;
        else cell += c;
        i++;
      }
    } else if (c === '"' && cell === '') {
      quoted = true;
      i++;
    } else if (c === ',') {
      record.push(cell);
      cell = '';
      i++;
    } else if (c === '\r' && text[i + 1] === '\n') {
      endRecord();
      i += 2;
    } else if (c === '\n') {
      endRecord();
      i++;
    } else {
      cell += c;
      i++;
    }
  }
  if (quoted) throw new ExportFormatError('the CSV ends inside a quoted field');
  if (cell !== '' || record.length > 0) endRecord();
  return records;
}

export class ExportFormatError extends Error {}

export interface ParsedExport {
  events: AuditEvent[];
  checkpoint: AuditCheckpoint | undefined;
}

function undefuse(cell: string): string {
  return cell.startsWith("'") && DEFUSE.test(cell.slice(1)) ? cell.slice(1) : cell;
}

function parseEvent(value: unknown, where: string): AuditEvent {
  const parsed = AuditEvent.safeParse(value);
  if (!parsed.success) throw new ExportFormatError(`${where} is not an audit event: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

function parseJsonl(text: string): ParsedExport {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const events: AuditEvent[] = [];
  let checkpoint: AuditCheckpoint | undefined;
  lines.forEach((line, i) => {
    const where = `line ${i + 1}`;
    if (checkpoint) throw new ExportFormatError(`${where} follows the checkpoint line, which must be last`);
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new ExportFormatError(`${where} is not JSON`);
    }
    if (value !== null && typeof value === 'object' && 'checkpoint' in value) {
      const cp = AuditExportCheckpointLine.safeParse(value);
      if (!cp.success) throw new ExportFormatError(`${where} is not a checkpoint: ${cp.error.issues[0]?.message ?? 'invalid'}`);
      checkpoint = cp.data.checkpoint;
    } else events.push(parseEvent(value, where));
  });
  return { events, checkpoint };
}

function parseCsvExport(text: string): ParsedExport {
  const [header, ...records] = parseCsv(text);
  if (header?.join(',') !== CSV_COLUMNS.join(',')) throw new ExportFormatError(`the CSV header is not ${CSV_COLUMNS.join(',')}`);
  const col = Object.fromEntries(CSV_COLUMNS.map((c, i) => [c, i])) as Record<(typeof CSV_COLUMNS)[number], number>;
  const events: AuditEvent[] = [];
  let checkpoint: AuditCheckpoint | undefined;
  records.forEach((raw, i) => {
    const where = `record ${i + 2}`;
    if (checkpoint) throw new ExportFormatError(`${where} follows the checkpoint record, which must be last`);
    if (raw.length !== CSV_COLUMNS.length) throw new ExportFormatError(`${where} has ${raw.length} fields, not ${CSV_COLUMNS.length}`);
    const r = raw.map(undefuse);
    const get = (c: (typeof CSV_COLUMNS)[number]) => r[col[c]]!;
    let details: unknown;
    try {
      details = JSON.parse(get('details'));
    } catch {
      throw new ExportFormatError(`${where}: details is not JSON`);
    }
    if (get('type') === CSV_CHECKPOINT_TYPE && get('actorId') === '') {
      const cp = AuditCheckpoint.safeParse({
        seq: Number(get('seq')),
        at: get('at'),
        hash: get('hash'),
        signature: (details as { signature?: unknown } | null)?.signature,
      });
      if (!cp.success) throw new ExportFormatError(`${where} is not a checkpoint: ${cp.error.issues[0]?.message ?? 'invalid'}`);
      checkpoint = cp.data;
      return;
    }
    const sessionId = get('breakGlassSessionId');
    events.push(
      parseEvent(
        {
          seq: Number(get('seq')),
          at: get('at'),
          actorId: get('actorId'),
          type: get('type'),
          subject: get('subject'),
          details,
          ...(sessionId ? { breakGlassSessionId: sessionId } : {}),
          breakGlass: get('breakGlass') === 'true',
          prevHash: get('prevHash'),
          hash: get('hash'),
        },
        where,
      ),
    );
  });
  return { events, checkpoint };
}

/** Reads an export back; the format is told by its first line (a CSV header, or JSON). */
export function parseExport(text: string): ParsedExport {
  if (text.trim() === '') throw new ExportFormatError('the file is empty');
  return text.startsWith(CSV_COLUMNS[0]) ? parseCsvExport(text) : parseJsonl(text);
}
