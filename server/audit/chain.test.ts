import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AuditEvent } from '../../shared/schemas/index.ts';
import { GENESIS, GENESIS_HASH, canonicalJson, hashEvent, verifyChain } from './chain.ts';

function chain(n: number): AuditEvent[] {
  const out: AuditEvent[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const base = {
      seq,
      at: `2026-01-0${seq}T00:00:00.000Z`,
      actorId: 'usr_a',
      type: 'request.created',
      subject: `req_${seq}`,
      details: { n: seq, nested: { b: 1, a: [1, 'x'] } },
    };
    const hash = hashEvent(prev, base);
    out.push({ ...base, breakGlass: false, prevHash: prev, hash });
    prev = hash;
  }
  return out;
}

test('canonicalJson sorts keys at every depth and drops undefined', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: undefined }], c: null } }), '{"a":{"c":null,"d":[2,{"z":1}]},"b":1}');
  assert.equal(canonicalJson({ a: 1, b: 2 }), canonicalJson({ b: 2, a: 1 }));
  assert.equal(canonicalJson('x"y'), '"x\\"y"');
});

test('an intact chain verifies with its count', async () => {
  const five = chain(5);
  assert.deepEqual(await verifyChain(five), { ok: true, count: 5, head: { seq: 5, hash: five[4]!.hash } });
  assert.deepEqual(await verifyChain([]), { ok: true, count: 0, head: GENESIS });
  // from a trusted point (a checkpoint) onwards
  assert.deepEqual(await verifyChain(five.slice(2), { seq: 2, hash: five[1]!.hash }), { ok: true, count: 3, head: { seq: 5, hash: five[4]!.hash } });
  assert.deepEqual(await verifyChain(five.slice(2), { seq: 2, hash: GENESIS_HASH }), { ok: false, brokenAt: 3 });
});

test('editing, deleting or reordering an event is caught at that seq', async () => {
  const edited = chain(5);
  edited[2] = { ...edited[2]!, details: { n: 999 } };
  assert.deepEqual(await verifyChain(edited), { ok: false, brokenAt: 3 });

  const deleted = chain(5);
  deleted.splice(1, 1);
  assert.deepEqual(await verifyChain(deleted), { ok: false, brokenAt: 3 });

  const swapped = chain(4);
  [swapped[1], swapped[2]] = [swapped[2]!, swapped[1]!];
  assert.deepEqual(await verifyChain(swapped), { ok: false, brokenAt: 3 });

  const rehashedAlone = chain(4);
  const e = { ...rehashedAlone[1]!, actorId: 'usr_mallory' };
  rehashedAlone[1] = { ...e, hash: hashEvent(e.prevHash, e) };
  // Re-hashing the edited event alone still breaks the next link.
  assert.deepEqual(await verifyChain(rehashedAlone), { ok: false, brokenAt: 3 });
});
