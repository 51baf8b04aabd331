import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditCheckpoint, AuditEvent } from '../../shared/schemas/index.ts';
import { GENESIS_HASH, hashEvent } from './chain.ts';
import {
  AuditKeyError,
  CHECKPOINT_EVERY,
  generateAuditKey,
  nextCheckpoint,
  openAuditKey,
  publicKeyVerifier,
  readAuditKey,
  verifyAudit,
  type AuditKey,
  type CheckpointSource,
} from './checkpoint.ts';

const key = generateAuditKey();

function chain(n: number, from = 1, prev = GENESIS_HASH, actor = 'usr_a'): AuditEvent[] {
  const out: AuditEvent[] = [];
  for (let seq = from; seq < from + n; seq++) {
    const base = { seq, at: '2026-01-01T00:00:00.000Z', actorId: actor, type: 'team.created', subject: `team_${seq}`, details: { n: seq } };
    const hash = hashEvent(prev, base);
    out.push({ ...base, breakGlass: false, prevHash: prev, hash });
    prev = hash;
  }
  return out;
}

const cp = (e: AuditEvent, k: AuditKey = key): AuditCheckpoint => ({
  seq: e.seq,
  hash: e.hash,
  at: '2026-01-01T00:01:00.000Z',
  signature: k.sign(e.seq, e.hash),
});

/** Checkpoints where the server writes them: every hundredth event, and the head. */
function checkpointsOf(events: AuditEvent[]): AuditCheckpoint[] {
  return events.filter((e, i) => e.seq % CHECKPOINT_EVERY === 0 || i === events.length - 1).map((e) => cp(e));
}

test('signatures cover seq.hash and verify with the public key alone', () => {
  const [e] = chain(1);
  const c = cp(e!);
  const verifier = publicKeyVerifier(key.publicKeyPem);
  assert.equal(verifier.verify(c), true);
  assert.equal(verifier.verify({ ...c, seq: 2 }), false);
  assert.equal(verifier.verify({ ...c, hash: GENESIS_HASH }), false);
  assert.equal(verifier.verify({ ...c, signature: 'not base64 at all' }), false);
  assert.equal(publicKeyVerifier(generateAuditKey().publicKeyPem).verify(c), false);
  assert.throws(() => publicKeyVerifier('nope'), AuditKeyError);
});

test('an intact log verifies with its count and last checkpoint; an empty one with none', async () => {
  const events = chain(250);
  const cps = checkpointsOf(events);
  assert.deepEqual(await verifyAudit(events, cps, key), { ok: true, count: 250, checkpoint: cps[cps.length - 1] });
  assert.deepEqual(await verifyAudit([], [], key), { ok: true, count: 0, checkpoint: null });
  // events after the last checkpoint are linked, not yet signed: still intact
  assert.deepEqual(await verifyAudit(events, cps.slice(0, 2), key), { ok: true, count: 250, checkpoint: cps[1] });
});

test('an edited, removed or reordered event is "hash" at that seq', async () => {
  const events = chain(10);
  const cps = checkpointsOf(events);
  const edited = events.map((e) => (e.seq === 4 ? { ...e, details: { n: 999 } } : e));
  assert.deepEqual(await verifyAudit(edited, cps, key), { ok: false, brokenAt: 4, reason: 'hash' });
  const removed = events.filter((e) => e.seq !== 4);
  assert.deepEqual(await verifyAudit(removed, cps, key), { ok: false, brokenAt: 5, reason: 'hash' });
});

test('a chain rewritten consistently contradicts the checkpoint after the rewrite: "signature" there', async () => {
  const events = chain(150);
  const cps = checkpointsOf(events);
  const rewritten = [...events.slice(0, 119), ...chain(31, 120, events[118]!.hash, 'usr_mallory')];
  assert.deepEqual(await verifyAudit(rewritten, cps, key), { ok: false, brokenAt: 150, reason: 'signature' });
  // ... and deleting the checkpoints that cover the rewrite leaves a hundredth event without one
  const early = [...chain(40, 41, events[39]!.hash, 'usr_mallory')];
  const rewrittenEarly = [...events.slice(0, 40), ...early, ...chain(70, 81, early[early.length - 1]!.hash, 'usr_mallory')];
  const kept = [cp(events[9]!)];
  assert.deepEqual(await verifyAudit(rewrittenEarly, kept, key), { ok: false, brokenAt: 100, reason: 'signature' });
});

test('a checkpoint signed by another key, or with events but no checkpoint at all, is "signature"', async () => {
  const events = chain(5);
  const forged = [cp(events[4]!, generateAuditKey())];
  assert.deepEqual(await verifyAudit(events, forged, key), { ok: false, brokenAt: 5, reason: 'signature' });
  assert.deepEqual(await verifyAudit(events, [], key), { ok: false, brokenAt: 1, reason: 'signature' });
});

test('a genuine checkpoint beyond the last event is "truncated" at the first missing seq; a forged one is "signature"', async () => {
  const events = chain(30);
  const cps = checkpointsOf(events);
  assert.deepEqual(await verifyAudit(events.slice(0, 25), cps, key), { ok: false, brokenAt: 26, reason: 'truncated' });
  assert.deepEqual(await verifyAudit([], cps, key), { ok: false, brokenAt: 1, reason: 'truncated' });
  const forged = { ...cps[0]!, seq: 40 };
  assert.deepEqual(await verifyAudit(events, [...cps, forged], key), { ok: false, brokenAt: 40, reason: 'signature' });
});

test('a partial log (an export of a time window) takes its first link as given and needs a checkpoint inside it', async () => {
  const events = chain(50);
  const window = events.slice(10, 40);
  assert.deepEqual(await verifyAudit(window, [cp(events[34]!)], key, { partial: true }), { ok: true, count: 30, checkpoint: cp(events[34]!) });
  assert.deepEqual(await verifyAudit(window, [cp(events[4]!)], key, { partial: true }), { ok: false, brokenAt: 11, reason: 'signature' });
  assert.equal((await verifyAudit(window, [cp(events[34]!)], key)).ok, false, 'as a whole log it does not start at seq 1');
});

function source(events: AuditEvent[], cps: AuditCheckpoint[]): CheckpointSource {
  return {
    auditHead: async () => (events.length ? { seq: events[events.length - 1]!.seq, hash: events[events.length - 1]!.hash } : { seq: 0, hash: GENESIS_HASH }),
    lastCheckpoint: async () => cps[cps.length - 1],
    auditPage: async (after, limit) => events.filter((e) => e.seq > after).slice(0, limit),
  };
}

test('nextCheckpoint signs the head only when the chain extends the last checkpoint', async () => {
  const events = chain(1200);
  const signed = await nextCheckpoint(source(events, []), key, '2026-01-01T00:02:00.000Z');
  assert.ok('checkpoint' in signed);
  assert.deepEqual(signed.checkpoint, { seq: 1200, hash: events[1199]!.hash, at: '2026-01-01T00:02:00.000Z', signature: key.sign(1200, events[1199]!.hash) });
  assert.deepEqual(await nextCheckpoint(source(events, [cp(events[1199]!)]), key, 'x'), { upToDate: true });
  assert.deepEqual(await nextCheckpoint(source([], []), key, 'x'), { upToDate: true });
  assert.ok('checkpoint' in (await nextCheckpoint(source(events, [cp(events[99]!)]), key, 'x')));

  const refused = async (evs: AuditEvent[], cps: AuditCheckpoint[]) => {
    const d = await nextCheckpoint(source(evs, cps), key, 'x');
    assert.ok('refused' in d, JSON.stringify(d));
    return d.refused;
  };
  assert.match(await refused(events.slice(0, 50), [cp(events[99]!)]), /beyond the last audit event/);
  assert.match(await refused(events, [cp(events[99]!, generateAuditKey())]), /not signed by this server/);
  const rewritten = [...events.slice(0, 10), ...chain(1190, 11, events[9]!.hash, 'usr_mallory')];
  assert.match(await refused(rewritten, [cp(events[99]!)]), /no longer matches its checkpoint/);
  const edited = events.map((e) => (e.seq === 1100 ? { ...e, details: {} } : e));
  assert.match(await refused(edited, [cp(events[999]!)]), /breaks at seq 1100/);
});

test('the key file: made with mode 0600, read back, never overwritten; a bad file is a clear error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-key-'));
  try {
    const file = join(dir, 'audit-signing.key');
    const made = openAuditKey(file);
    assert.equal(made.created, true);
    assert.deepEqual(readdirSync(dir), ['audit-signing.key'], 'no temporary file left behind');
    if (process.platform !== 'win32') assert.equal(statSync(file).mode & 0o777, 0o600);
    const again = openAuditKey(file);
    assert.equal(again.created, false);
    assert.equal(again.key.publicKeyPem, made.key.publicKeyPem);
    const [e] = chain(1);
    assert.equal(again.key.verify({ seq: 1, hash: e!.hash, signature: made.key.sign(1, e!.hash) }), true);
    writeFileSync(join(dir, 'bad.key'), 'garbage');
    assert.throws(() => readAuditKey(join(dir, 'bad.key')), /bad\.key is not an Ed25519 private key/);
    assert.throws(() => readAuditKey(join(dir, 'missing.key')), /cannot read the audit signing key/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
