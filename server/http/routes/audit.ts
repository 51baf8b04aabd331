import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { AuditExportQuery, AuditQuery, type AuditEvent } from '../../../shared/schemas/index.ts';
import { verifyChain } from '../../audit/chain.ts';
import type { ServiceContext } from '../../domain/context.ts';
import { parse } from '../validate.ts';

const CSV_COLUMNS = ['seq', 'at', 'actorId', 'type', 'subject', 'breakGlass', 'breakGlassSessionId', 'details', 'prevHash', 'hash'] as const;

function csvCell(value: unknown): string {
  const text = value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  // Quote always where needed; a leading = + - @ is defused so spreadsheets don't run it.
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\r\n']/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

async function* exportLines(events: AsyncIterable<AuditEvent>, format: 'csv' | 'jsonl'): AsyncGenerator<string> {
  if (format === 'csv') yield `${CSV_COLUMNS.join(',')}\r\n`;
  for await (const e of events) {
    yield format === 'csv' ? `${CSV_COLUMNS.map((c) => csvCell(e[c])).join(',')}\r\n` : `${JSON.stringify(e)}\n`;
  }
}

export function registerAuditRoutes(app: FastifyInstance, ctx: ServiceContext): void {
  const { store } = ctx;

  app.get('/api/audit', async (req) => {
    const q = parse(AuditQuery, req.query, 'query');
    const events = q.before !== undefined ? await store.auditPageBefore(q.before, q.limit, q.subject) : await store.auditPage(q.after, q.limit, q.subject);
    return { events, next: events.length === q.limit ? events[events.length - 1]!.seq : null };
  });

  app.get('/api/audit/verify', async () => verifyChain(store.auditEvents()));

  app.get('/api/audit/export', async (req, reply) => {
    const q = parse(AuditExportQuery, req.query, 'query');
    const from = q.from && new Date(q.from).toISOString();
    const to = q.to && new Date(q.to).toISOString();
    const stamp = ctx.now().toISOString().slice(0, 10);
    reply
      .type(q.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
      .header('content-disposition', `attachment; filename="gatehouse-audit-${stamp}.${q.format}"`);
    return reply.send(Readable.from(exportLines(store.auditEvents(from, to), q.format)));
  });
}
