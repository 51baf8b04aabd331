import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { AUDIT_KEY_ALGORITHM, type AuditKey } from '../../audit/checkpoint.ts';
import { CSV_HEADER, csvCheckpointRecord, csvEventRecord, jsonlCheckpointLine, jsonlEventLine } from '../../audit/export.ts';
import { AuditCheckpointsQuery, AuditExportQuery, AuditQuery, type AuditEvent } from '../../../shared/schemas/index.ts';
import { checkpointHead, verifyAuditLog } from '../../domain/checkpoints.ts';
import type { ServiceContext } from '../../domain/context.ts';
import { parse } from '../validate.ts';

/** The events, then the last checkpoint at or before the last of them (none for an empty export). */
async function* exportLines(ctx: ServiceContext, events: AsyncIterable<AuditEvent>, format: 'csv' | 'jsonl'): AsyncGenerator<string> {
  if (format === 'csv') yield CSV_HEADER;
  let lastSeq: number | undefined;
  for await (const e of events) {
    lastSeq = e.seq;
    yield format === 'csv' ? csvEventRecord(e) : jsonlEventLine(e);
  }
  if (lastSeq === undefined) return;
  const checkpoint = await ctx.store.lastCheckpoint(lastSeq);
  if (checkpoint) yield format === 'csv' ? csvCheckpointRecord(checkpoint) : jsonlCheckpointLine(checkpoint);
}

export function registerAuditRoutes(app: FastifyInstance, ctx: ServiceContext, auditKey: AuditKey): void {
  const { store } = ctx;

  app.get('/api/audit', async (req) => {
    const q = parse(AuditQuery, req.query, 'query');
    const events = q.before !== undefined ? await store.auditPageBefore(q.before, q.limit, q.subject) : await store.auditPage(q.after, q.limit, q.subject);
    return { events, next: events.length === q.limit ? events[events.length - 1]!.seq : null };
  });

  app.get('/api/audit/verify', async () => verifyAuditLog(store, auditKey));

  app.get('/api/audit/checkpoints', async (req) => {
    const q = parse(AuditCheckpointsQuery, req.query, 'query');
    return { checkpoints: await store.checkpoints(q.after, q.limit) };
  });

  app.get('/api/audit/public-key', async () => ({ algorithm: AUDIT_KEY_ALGORITHM, publicKey: auditKey.publicKeyPem }));

  app.get('/api/audit/export', async (req, reply) => {
    const q = parse(AuditExportQuery, req.query, 'query');
    const from = q.from && new Date(q.from).toISOString();
    const to = q.to && new Date(q.to).toISOString();
    const stamp = ctx.now().toISOString().slice(0, 10);
    // The head is signed first, so a whole-log export ends with a checkpoint of its last event;
    // events appended while it streams belong to the next export.
    await checkpointHead(ctx, auditKey);
    const { seq: untilSeq } = await store.auditHead();
    reply
      .type(q.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
      .header('content-disposition', `attachment; filename="gatehouse-audit-${stamp}.${q.format}"`);
    return reply.send(Readable.from(exportLines(ctx, store.auditEvents(from, to, untilSeq), q.format)));
  });
}
