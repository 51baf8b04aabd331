// audit.*: the server's audit log, one page at a time, its verification and its export (online only);
// witness.get: what this desktop itself verified of the chain (offline too).
import type { Clock } from '../../../shared/clock.ts';
import type { Handlers } from '../../../shared/ipc.ts';
import type { Connection } from '../connection/index.ts';
import type { AuditWitness } from '../witness/index.ts';
import { AuditEvent } from '../../../shared/schemas/index.ts';
import { CSV_HEADER, csvEventRecord, jsonlEventLine } from '../../../shared/audit-format.ts';

/** The events of a JSONL export whose seq is listed, in the server's formats (no checkpoint: the chain is not whole). */
export function onlyEvents(jsonl: string, seqs: readonly number[], format: 'csv' | 'jsonl'): string {
  const wanted = new Set(seqs);
  const events: AuditEvent[] = [];
  for (const line of jsonl.split('\n')) {
    if (line.trim() === '') continue;
    const parsed = AuditEvent.safeParse(JSON.parse(line));
    if (parsed.success && wanted.has(parsed.data.seq)) events.push(parsed.data);
  }
  return format === 'csv' ? CSV_HEADER + events.map(csvEventRecord).join('') : events.map(jsonlEventLine).join('');
}

export function auditHandlers(
  connection: Connection,
  clock: Clock,
  witness: Pick<AuditWitness, 'state'>,
): Pick<Handlers, 'audit.page' | 'audit.verify' | 'audit.export' | 'witness.get'> {
  return {
    'witness.get': async () => witness.state(),
    'audit.page': async ({ after, before, limit }) => connection.online().audit(after, limit, before !== undefined ? { before } : {}),
    'audit.verify': async () => connection.online().auditVerify(),
    'audit.export': async ({ format, from, to, seqs }) => {
      const range = { ...(from ? { from } : {}), ...(to ? { to } : {}) };
      const text = seqs
        ? onlyEvents(await connection.online().auditExport('jsonl', range), seqs, format)
        : await connection.online().auditExport(format, range);
      return {
        filename: `gatehouse-audit-${clock().toISOString().slice(0, 10)}${seqs ? '-filtered' : ''}.${format}`,
        mime: format === 'csv' ? 'text/csv' : 'application/x-ndjson',
        text,
      };
    },
  };
}
