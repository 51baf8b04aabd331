// A filtered export: exactly the listed events, in the server's record formats, without the
// checkpoint line (a filtered file is for reading; the whole export is the one verify reads).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AuditEvent } from '../../../shared/schemas/index.ts';
import { CSV_HEADER, csvEventRecord } from '../../../shared/audit-format.ts';
import { onlyEvents } from './audit.ts';

const event = (seq: number, type: string, details: Record<string, unknown> = {}): AuditEvent => ({
  seq,
  at: `2026-03-10T08:00:0${seq}.000Z`,
  actorId: 'usr_rhea',
  type,
  subject: `req_${seq}`,
  details,
  breakGlass: false,
  prevHash: 'a'.repeat(64),
  hash: 'b'.repeat(64),
});

const events = [event(1, 'request.created', { justification: 'ship it, "now"\nplease' }), event(2, 'request.approval'), event(3, 'request.created')];
const jsonl = `${events.map((e) => JSON.stringify(e)).join('\n')}\n${JSON.stringify({ checkpoint: { seq: 3, at: '2026-03-10T08:00:04.000Z', hash: 'b'.repeat(64), signature: 'sig' } })}\n`;

test('jsonl: only the listed events, in log order, no checkpoint', () => {
  const out = onlyEvents(jsonl, [3, 1], 'jsonl');
  assert.deepEqual(
    out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l)),
    [events[0], events[2]],
  );
});

test('csv: the server header and records for the listed events only', () => {
  assert.equal(onlyEvents(jsonl, [2], 'csv'), CSV_HEADER + csvEventRecord(events[1]!));
  assert.equal(onlyEvents(jsonl, [1], 'csv'), CSV_HEADER + csvEventRecord(events[0]!));
});

test('no seq listed: no rows, not the whole log', () => {
  assert.equal(onlyEvents(jsonl, [], 'jsonl'), '');
  assert.equal(onlyEvents(jsonl, [], 'csv'), CSV_HEADER);
});
