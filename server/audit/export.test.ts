import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEvent } from '../../shared/schemas/index.ts';
import { GENESIS_HASH, hashEvent } from './chain.ts';
import { generateAuditKey, verifyAudit } from './checkpoint.ts';
import { CSV_HEADER, csvCheckpointRecord, csvEventRecord, ExportFormatError, jsonlCheckpointLine, jsonlEventLine, parseExport } from './export.ts';

const key = generateAuditKey();
const nasty = '=HYPERLINK("x"), "quoted", comma,\r\nsecond line\n-third @line \'apostrophe\'';

function events(): AuditEvent[] {
  let prev = GENESIS_HASH;
  return [
    { seq: 1, at: '2026-01-01T00:00:00.000Z', actorId: 'system', type: 'user.created', subject: 'usr_1', details: { name: nasty } },
    {
      seq: 2,
      at: '2026-01-01T00:00:01.000Z',
      actorId: 'usr_1',
      type: 'request.created',
      subject: 'req_1',
      details: { justification: nasty, n: [1, { b: null }] },
      breakGlassSessionId: 'bg_1',
    },
    { seq: 3, at: '2026-01-01T00:00:02.000Z', actorId: 'usr_1', type: 'request.refused', subject: 'release.deploy', details: {} },
  ].map((e) => {
    const hash = hashEvent(prev, e);
    const full: AuditEvent = { ...e, breakGlass: e.breakGlassSessionId !== undefined, prevHash: prev, hash };
    prev = hash;
    return full;
  });
}

test('both formats read back to the same events and checkpoint, and verify', async () => {
  const evs = events();
  const last = evs[evs.length - 1]!;
  const checkpoint = { seq: last.seq, hash: last.hash, at: '2026-01-01T00:01:00.000Z', signature: key.sign(last.seq, last.hash) };
  const jsonl = evs.map(jsonlEventLine).join('') + jsonlCheckpointLine(checkpoint);
  const csv = CSV_HEADER + evs.map(csvEventRecord).join('') + csvCheckpointRecord(checkpoint);
  for (const text of [jsonl, csv]) {
    const parsed = parseExport(text);
    assert.deepEqual(parsed, { events: evs, checkpoint });
    assert.deepEqual(await verifyAudit(parsed.events, [parsed.checkpoint!], key), { ok: true, count: 3, checkpoint });
  }
});

test('malformed exports are ExportFormatErrors that say where', () => {
  const evs = events();
  assert.throws(() => parseExport(''), /empty/);
  assert.throws(
    () => parseExport('not json\n'),
    (e: unknown) => e instanceof ExportFormatError && /line 1 is not JSON/.test(e.message),
  );
  assert.throws(
    () => parseExport(`${jsonlCheckpointLine({ seq: 1, hash: 'h', at: '2026-01-01T00:00:00.000Z', signature: 's' })}${jsonlEventLine(evs[0]!)}`),
    /must be last/,
  );
  assert.throws(() => parseExport('{"seq": 1}\n'), /line 1 is not an audit event/);
  assert.throws(() => parseExport(`${CSV_HEADER}1,2\r\n`), /record 2 has 2 fields/);
  assert.throws(() => parseExport(`${CSV_HEADER}"unterminated`), /inside a quoted field/);
});
