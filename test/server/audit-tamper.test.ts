// Tamper evidence, as attacks: someone who can write the database file (but not read the signing
// key, which lives outside it) edits, rewrites or cuts the audit chain while the server is down.
// Each attack must be caught by GET /api/audit/verify with the right reason and seq, and exports
// must verify offline with `gatehouse audit verify`.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashEvent } from '../../server/audit/chain.ts';
import { mallory, rewriteFrom, withDb, type AuditRow } from '../tamper.ts';
import { testStore } from '../postgres.ts';
import { apiFor, cleanupTempDirs, initDir, killAll, runCli, ServerProcess, tempDir, waitFor, type Api } from './harness.ts';

after(() => {
  killAll();
  cleanupTempDirs();
});

interface Checkpoint {
  seq: number;
  hash: string;
  at: string;
  signature: string;
}

/** A data dir with its server running and `events` audit events in all (init's come first). */
async function dataDir(events: number, serverArgs: string[] = []): Promise<{ dir: string; server: ServerProcess; api: Api; token: string }> {
  const { dir, ownerToken } = await initDir();
  const server = await new ServerProcess(dir, serverArgs).start();
  const api = apiFor(() => server.url, ownerToken);
  const fromInit = (await verifyAudit(api)).count as number;
  assert.ok(fromInit < events, `init wrote ${fromInit} events`);
  for (let i = fromInit + 1; i <= events; i++) {
    const r = await api.post('/api/teams', { name: `team ${i}` });
    assert.equal(r.status, 201, r.text);
  }
  return { dir, server, api, token: ownerToken };
}

async function verifyAudit(api: Api): Promise<Record<string, unknown>> {
  const r = await api.get('/api/audit/verify');
  assert.equal(r.status, 200, r.text);
  return r.body as Record<string, unknown>;
}

describe('attacks on the audit log, caught by GET /api/audit/verify', () => {
  test('deleting the last events (the tail) → {ok: false, reason: "truncated"}, brokenAt the first missing seq', async () => {
    const { dir, server, api } = await dataDir(20);
    assert.equal((await verifyAudit(api)).ok, true);
    assert.equal((await server.stop()).code, 0);
    await withDb(dir, async (db) => assert.equal(await db.run('DELETE FROM audit WHERE seq > 17'), 3));
    await server.start();
    assert.deepEqual(await verifyAudit(api), { ok: false, brokenAt: 18, reason: 'truncated' });
    await server.stop();
  });

  test('rewriting the chain consistently from some seq on (every hash recomputed) → {ok: false, reason: "signature"} at the checkpoint it contradicts', async () => {
    const { dir, server, api } = await dataDir(20);
    const before = await verifyAudit(api);
    assert.equal(before.ok, true);
    assert.equal((await server.stop()).code, 0);
    await withDb(dir, (db) => rewriteFrom(db, 8, mallory));
    await server.start();
    // the shutdown signed the head (seq 20): the rewritten chain no longer ends in its hash
    assert.deepEqual(await verifyAudit(api), { ok: false, brokenAt: 20, reason: 'signature' });
    // and the server does not bless the rewritten chain by signing what follows it
    const r = await api.post('/api/teams', { name: 'after the rewrite' });
    assert.equal(r.status, 201);
    await server.stop();
    await server.start();
    const cps = (await api.get('/api/audit/checkpoints?after=20')).body as { checkpoints: Checkpoint[] };
    assert.deepEqual(cps.checkpoints, [], 'nothing signed after the rewrite');
    assert.deepEqual(await verifyAudit(api), { ok: false, brokenAt: 20, reason: 'signature' });
    await server.stop();
  });

  test('rewriting the chain and deleting the checkpoints that cover the rewrite → caught at the hundredth event, whose checkpoint is missing', async () => {
    const { dir, server, api } = await dataDir(110);
    const cps = ((await api.get('/api/audit/checkpoints')).body as { checkpoints: Checkpoint[] }).checkpoints.map((c) => c.seq);
    assert.ok(cps.includes(100), `a checkpoint in the hundredth event's transaction: ${cps.join(',')}`);
    assert.equal((await server.stop()).code, 0);
    await withDb(dir, async (db) => {
      await rewriteFrom(db, 50, mallory);
      await db.run('DELETE FROM audit_checkpoints WHERE seq >= 50');
    });
    await server.start();
    assert.deepEqual(await verifyAudit(api), { ok: false, brokenAt: 100, reason: 'signature' });
    await server.stop();
  });

  test('rewriting the chain and replacing its checkpoints with ones signed by another key → {ok: false, reason: "signature"}', async () => {
    const { dir, server, api } = await dataDir(12);
    assert.equal((await server.stop()).code, 0);
    const forger = generateKeyPairSync('ed25519').privateKey;
    const firstCheckpoint = await withDb(dir, async (db) => {
      await rewriteFrom(db, 1, mallory);
      const rows = await db.all<{ seq: number }>('SELECT seq, hash FROM audit_checkpoints ORDER BY seq');
      assert.ok(rows.length > 0);
      for (const { seq } of rows) {
        const { hash } = (await db.get<{ hash: string }>('SELECT hash FROM audit WHERE seq = ?', seq))!;
        const signature = sign(null, Buffer.from(`${seq}.${hash}`), forger).toString('base64');
        await db.run('UPDATE audit_checkpoints SET hash = ?, signature = ? WHERE seq = ?', hash, signature, seq);
      }
      return rows[0]!.seq;
    });
    await server.start();
    const v = await verifyAudit(api);
    assert.equal(v.ok, false);
    assert.equal(v.reason, 'signature');
    assert.equal(v.brokenAt, firstCheckpoint, 'the first checkpoint is the first forged one');
    await server.stop();
  });

  test('editing one event → {ok: false, reason: "hash"} at that seq; re-hashing it alone → at the next seq', async () => {
    const { dir, server, api } = await dataDir(15);
    assert.equal((await server.stop()).code, 0);
    await withDb(dir, async (db) => {
      const row = (await db.get<{ details: string }>('SELECT details FROM audit WHERE seq = 9'))!;
      await db.run('UPDATE audit SET details = ? WHERE seq = 9', JSON.stringify({ ...JSON.parse(row.details), name: 'quietly renamed' }));
    });
    await server.start();
    assert.deepEqual(await verifyAudit(api), { ok: false, brokenAt: 9, reason: 'hash' });
    await server.stop();

    await withDb(dir, async (db) => {
      const row = (await db.get<AuditRow>('SELECT * FROM audit WHERE seq = 9'))!;
      const hash = hashEvent(row.prev_hash, {
        seq: row.seq,
        at: row.at,
        actorId: row.actor_id,
        type: row.type,
        subject: row.subject,
        details: JSON.parse(row.details) as Record<string, unknown>,
      });
      await db.run('UPDATE audit SET hash = ? WHERE seq = 9', hash);
    });
    await server.start();
    assert.deepEqual(await verifyAudit(api), { ok: false, brokenAt: 10, reason: 'hash' });
    await server.stop();
  });
});

describe('checkpoints', () => {
  test('one in the transaction of every hundredth event, one for new events within the checkpoint interval; all verify with GET /api/audit/public-key', async () => {
    const { server, api } = await dataDir(205, ['--checkpoint-interval', '1s']);
    try {
      const key = (await api.get('/api/audit/public-key')).body as { algorithm: string; publicKey: string };
      assert.equal(key.algorithm, 'ed25519');
      const publicKey = createPublicKey(key.publicKey);
      const all = ((await api.get('/api/audit/checkpoints')).body as { checkpoints: Checkpoint[] }).checkpoints;
      const seqs = all.map((c) => c.seq);
      for (const s of [100, 200]) assert.ok(seqs.includes(s), `checkpoint at ${s}: ${seqs.join(',')}`);
      assert.deepEqual(
        seqs,
        [...seqs].sort((a, b) => a - b),
        'oldest first',
      );
      const events = (await api.get('/api/audit?after=0&limit=5000')).body as { events: { seq: number; hash: string }[] };
      for (const cp of all) {
        assert.ok(verify(null, Buffer.from(`${cp.seq}.${cp.hash}`), publicKey, Buffer.from(cp.signature, 'base64')), `signature of ${cp.seq}`);
        assert.equal(cp.hash, events.events[cp.seq - 1]!.hash);
        assert.match(cp.at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      }
      const after200 = ((await api.get('/api/audit/checkpoints?after=200')).body as { checkpoints: Checkpoint[] }).checkpoints;
      assert.ok(after200.every((c) => c.seq > 200));
      assert.equal((await api.get('/api/audit/checkpoints?after=-1')).status, 400);

      // new events are signed within the interval, without a hundredth event or a shutdown
      assert.equal((await api.post('/api/teams', { name: 'one more' })).status, 201);
      const head = 206;
      const signed = await waitFor(async () => {
        const v = await verifyAudit(api);
        return v.ok === true && (v.checkpoint as Checkpoint | null)?.seq === head ? v : undefined;
      }, 5000);
      assert.ok(signed, 'the head was signed within the interval');
      assert.equal(signed.count, head);
    } finally {
      await server.stop();
    }
  });
});

describe('the signing key lives outside the database', () => {
  test('init makes audit-signing.key with mode 0600; serve --audit-key reads it from elsewhere; without it and with checkpoints, serve refuses', async () => {
    const { dir, server, token } = await dataDir(3);
    await server.stop();
    const keyFile = join(dir, 'audit-signing.key');
    assert.ok(existsSync(keyFile));
    if (process.platform !== 'win32') assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    // On PostgreSQL the database is not in DIR at all; on SQLite the file must not hold the key.
    if (testStore() === 'sqlite') assert.ok(!readFileSync(join(dir, 'gatehouse.db')).includes(readFileSync(keyFile)), 'the key is not in the database');

    const elsewhere = join(tempDir(), 'signing.key');
    renameSync(keyFile, elsewhere);
    const refused = await runCli(['serve', '--data', dir, '--port', '0']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /audit signing key .*audit-signing\.key is missing.*restore the key/s);
    assert.ok(!existsSync(keyFile), 'no new key made behind the operator’s back');

    const moved = await new ServerProcess(dir, ['--audit-key', elsewhere]).start();
    try {
      const v = await verifyAudit(apiFor(moved.url, token));
      assert.equal(v.ok, true, JSON.stringify(v));
    } finally {
      await moved.stop();
    }
  });

  test('a data dir from before checkpoints gets a key on its first serve, which says so, and signs the chain it finds', async () => {
    const { dir, server, api } = await dataDir(5);
    await server.stop();
    // what an older Gatehouse left: no key, no checkpoints
    const keyFile = join(dir, 'audit-signing.key');
    renameSync(keyFile, `${keyFile}.gone`);
    await withDb(dir, (db) => db.run('DELETE FROM audit_checkpoints'));
    await server.start();
    assert.match(server.stderr, /created the audit signing key .*audit-signing\.key/);
    assert.ok(existsSync(keyFile));
    const v = await verifyAudit(api);
    assert.equal(v.ok, true, JSON.stringify(v));
    assert.equal((v.checkpoint as Checkpoint).seq, 5);
    await server.stop();
  });
});

describe('exports verify offline: gatehouse audit verify --file F --public-key F', () => {
  test('an intact CSV or JSONL export exits 0; an edited, cut or rewritten one, or the wrong key, exits 1 with the reason', async () => {
    const { server, api } = await dataDir(12);
    const out = tempDir();
    try {
      const jsonl = (await api.get('/api/audit/export?format=jsonl')).text;
      const csv = (await api.get('/api/audit/export?format=csv')).text;
      const key = (await api.get('/api/audit/public-key')).body as { publicKey: string };
      writeFileSync(join(out, 'audit.jsonl'), jsonl);
      writeFileSync(join(out, 'audit.csv'), csv);
      writeFileSync(join(out, 'key.json'), JSON.stringify(key));
      writeFileSync(join(out, 'key.pem'), key.publicKey);
      const lastLine = jsonl.trimEnd().split('\n').pop()!;
      assert.match(lastLine, /^\{"checkpoint":\{"seq":12,/, 'the JSONL export ends with the checkpoint of its last event');
      assert.match(csv.trimEnd().split('\r\n').pop()!, /^12,[^,]+,,checkpoint,/, 'so does the CSV export');

      const check = (file: string, keyFile = 'key.pem') => runCli(['audit', 'verify', '--file', join(out, file), '--public-key', join(out, keyFile)]);
      for (const [file, keyFile] of [
        ['audit.jsonl', 'key.pem'],
        ['audit.csv', 'key.json'],
      ] as const) {
        const ok = await check(file, keyFile);
        assert.equal(ok.code, 0, `${file}: ${ok.stdout}${ok.stderr}`);
        assert.match(ok.stdout, /^intact: 12 events \(seq 1–12\), signed through seq 12/m);
      }

      const lines = jsonl.trimEnd().split('\n');
      const edited = lines.map((l, i) => (i === 6 ? l.replace('"name":"team 7"', '"name":"team seven"') : l));
      assert.notDeepEqual(edited, lines);
      writeFileSync(join(out, 'edited.jsonl'), `${edited.join('\n')}\n`);
      const e = await check('edited.jsonl');
      assert.equal(e.code, 1);
      assert.match(e.stdout, /broken: reason=hash at seq 7/);

      writeFileSync(join(out, 'cut.jsonl'), `${[...lines.slice(0, 9), lines[lines.length - 1]].join('\n')}\n`);
      const c = await check('cut.jsonl');
      assert.equal(c.code, 1);
      assert.match(c.stdout, /broken: reason=truncated at seq 10/);

      // rewritten consistently from seq 5: every hash recomputed, the checkpoint kept
      const events = lines.slice(0, -1).map((l) => JSON.parse(l) as Record<string, unknown> & { hash: string; prevHash: string });
      let prev = events[3]!.hash;
      for (const ev of events.slice(4)) {
        if (ev.seq === 5) ev.actorId = 'usr_mallory';
        ev.prevHash = prev;
        ev.hash = hashEvent(prev, ev as unknown as Parameters<typeof hashEvent>[1]);
        prev = ev.hash;
      }
      writeFileSync(join(out, 'rewritten.jsonl'), `${[...events.map((ev) => JSON.stringify(ev)), lines[lines.length - 1]].join('\n')}\n`);
      const r = await check('rewritten.jsonl');
      assert.equal(r.code, 1);
      assert.match(r.stdout, /broken: reason=signature at seq 12/);

      writeFileSync(join(out, 'other.pem'), generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
      const w = await check('audit.csv', 'other.pem');
      assert.equal(w.code, 1);
      assert.match(w.stdout, /broken: reason=signature at seq 12/);

      writeFileSync(join(out, 'nocheckpoint.jsonl'), `${lines.slice(0, -1).join('\n')}\n`);
      const n = await check('nocheckpoint.jsonl');
      assert.equal(n.code, 1);
      assert.match(n.stdout, /no checkpoint/);
    } finally {
      await server.stop();
    }
  });

  test('bad flags and files are clear errors (exit 1); --help exits 0', async () => {
    const out = tempDir();
    writeFileSync(join(out, 'not-an-export.txt'), 'hello\n');
    writeFileSync(join(out, 'key.pem'), generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
    const cases: [string[], RegExp][] = [
      [['audit', 'verify'], /--file is required/],
      [['audit', 'verify', '--file', join(out, 'not-an-export.txt')], /--public-key is required/],
      [['audit', 'verify', '--file', join(out, 'missing.jsonl'), '--public-key', join(out, 'key.pem')], /cannot read --file/],
      [['audit', 'verify', '--file', join(out, 'not-an-export.txt'), '--public-key', join(out, 'missing.pem')], /cannot read --public-key/],
      [['audit', 'verify', '--file', join(out, 'not-an-export.txt'), '--public-key', join(out, 'not-an-export.txt')], /neither a PEM|not a public key/],
      [['audit', 'verify', '--file', join(out, 'not-an-export.txt'), '--public-key', join(out, 'key.pem')], /is not a Gatehouse audit export/],
      [['audit', 'verify', '--nope'], /--nope/],
      [['audit', 'frobnicate'], /unknown audit command "frobnicate"/],
      [['serve', '--data', out, '--checkpoint-interval', '5m'], /--checkpoint-interval must be at most 60s/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
    const help = await runCli(['audit', 'verify', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /usage: gatehouse audit verify --file EXPORT --public-key KEY/);
    const top = await runCli(['--help']);
    assert.match(top.stdout, /audit\s+verify an audit export offline/);
  });
});
