// audit.*: the server's audit log, one page at a time, its verification and its export (online only);
// witness.get: what this desktop itself verified of the chain (offline too).
import type { Clock } from '../../../shared/clock.ts';
import type { Handlers } from '../../../shared/ipc.ts';
import type { Connection } from '../connection/index.ts';
import type { AuditWitness } from '../witness/index.ts';

export function auditHandlers(
  connection: Connection,
  clock: Clock,
  witness: Pick<AuditWitness, 'state'>,
): Pick<Handlers, 'audit.page' | 'audit.verify' | 'audit.export' | 'witness.get'> {
  return {
    'witness.get': async () => witness.state(),
    'audit.page': async ({ after, before, limit }) => connection.online().audit(after, limit, before !== undefined ? { before } : {}),
    'audit.verify': async () => connection.online().auditVerify(),
    'audit.export': async ({ format, from, to }) => {
      const text = await connection.online().auditExport(format, { ...(from ? { from } : {}), ...(to ? { to } : {}) });
      return {
        filename: `gatehouse-audit-${clock().toISOString().slice(0, 10)}.${format}`,
        mime: format === 'csv' ? 'text/csv' : 'application/x-ndjson',
        text,
      };
    },
  };
}
