// The audit witness against a fake server: an in-memory hash chain with checkpoints signed by a
// real Ed25519 key, so every attack is the real computation (shared/audit-chain.ts), only the
// transport is fake.
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { auditHashInput, checkpointText, GENESIS_HASH } from '../../../shared/audit-chain.ts';
import type { WitnessAlert, WitnessState } from '../../../shared/desktop/witness.ts';
import type { AuditCheckpoint, AuditEvent } from '../../../shared/schemas/index.ts';
import { NetworkError } from '../client/index.ts';
import { AuditWitness, type WitnessTimers } from './witness.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const T0 = Date.parse('2026-12-02T10:30:00Z');

class FakeServer {
  events: AuditEvent[] = [];
  checkpoints: AuditCheckpoint[] = [];
  keys = generateKeyPairSync('ed25519');
  down = false;
  calls = 0;

  get publicKeyPem(): string {
    return this.keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }

  /** Appends `n` events (with a checkpoint of the head unless told not to). */
  append(n: number, opts: { checkpoint?: boolean; actor?: string } = {}): this {
    for (let i = 0; i < n; i++) {
      const prev = this.events[this.events.length - 1];
      const base = {
        seq: (prev?.seq ?? 0) + 1,
        at: new Date(T0 + this.events.length * 1000).toISOString(),
        actorId: opts.actor ?? 'usr_olivia',
        type: 'team.created',
        subject: `team_${this.events.length}`,
        details: { name: `team ${this.events.length}` },
        breakGlass: false,
      } as Omit<AuditEvent, 'hash' | 'prevHash'>;
      const prevHash = prev?.hash ?? GENESIS_HASH;
      const hash = createHash('sha256').update(prevHash).update(auditHashInput(base)).digest('hex');
      this.events.push({ ...base, prevHash, hash } as AuditEvent);
    }
    if (opts.checkpoint !== false) this.sign();
    return this;
  }

  sign(key: KeyObject = this.keys.privateKey): void {
    const head = this.events[this.events.length - 1]!;
    this.checkpoints.push({
      seq: head.seq,
      hash: head.hash,
      at: head.at,
      signature: sign(null, Buffer.from(checkpointText(head.seq, head.hash)), key).toString('base64'),
    });
  }

  /** The attacker's rewrite: every event from `fromSeq` on with another actor, hashes recomputed. */
  rewriteFrom(fromSeq: number): void {
    const kept = this.events.filter((e) => e.seq < fromSeq);
    const count = this.events.length - kept.length;
    this.events = kept;
    this.append(count, { checkpoint: false, actor: 'usr_mallory' });
  }

  client() {
    const guard = () => {
      this.calls++;
      if (this.down) throw new NetworkError('offline', 'connection refused');
    };
    return {
      auditPublicKey: async () => (guard(), this.publicKeyPem),
      auditCheckpoints: async (after: number, limit = 1000) => (guard(), this.checkpoints.filter((c) => c.seq > after).slice(0, limit)),
      audit: async (after = 0, limit = 500) => {
        guard();
        const events = this.events.filter((e) => e.seq > after).slice(0, limit);
        return { events, next: events.length === limit ? events[events.length - 1]!.seq : null };
      },
    };
  }
}

function setup(
  server: FakeServer,
  opts: { dir?: string; serverId?: string | (() => string | undefined); reachable?: () => boolean; timers?: WitnessTimers } = {},
) {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'gh-witness-'));
  if (!opts.dir) dirs.push(dir);
  let now = T0 + 3_600_000;
  const changes: WitnessState[] = [];
  const alerts: WitnessAlert[] = [];
  const logs: string[] = [];
  const witness = new AuditWitness({
    file: join(dir, 'witness.json'),
    client: () => (opts.reachable?.() === false ? undefined : server.client()),
    serverId: typeof opts.serverId === 'function' ? opts.serverId : () => (opts.serverId as string | undefined) ?? 'srv_1',
    clock: () => new Date(now),
    ...(opts.timers ? { timers: opts.timers } : {}),
    onChange: (s) => void changes.push(s),
    onAlert: (a) => void alerts.push(a),
    log: (l) => void logs.push(l),
  });
  return { dir, witness, changes, alerts, logs, tick: (ms: number) => void (now += ms) };
}

describe('AuditWitness', () => {
  test('first contact: trusts the key, walks the whole chain itself and remembers the newest checkpoint (0600, atomically)', async () => {
    const server = new FakeServer().append(150);
    const { dir, witness, changes, alerts } = setup(server);
    assert.equal(witness.state().state, 'idle');
    await witness.check();
    const s = witness.state();
    assert.equal(s.state, 'ok');
    assert.equal(s.verified?.checkpoint.seq, 150);
    assert.equal(s.verified?.verifiedAt, '2026-12-02T11:30:00.000Z');
    assert.deepEqual(alerts, []);
    assert.equal(changes.length, 1);
    const file = JSON.parse(readFileSync(join(dir, 'witness.json'), 'utf8'));
    assert.equal(file.servers.srv_1.publicKey.trim(), server.publicKeyPem.trim());
    assert.equal(file.servers.srv_1.verified.checkpoint.seq, 150);
    assert.equal(statSync(join(dir, 'witness.json')).mode & 0o777, 0o600);
    // a second check with nothing new changes nothing and raises nothing
    await witness.check();
    assert.equal(changes.length, 1);
  });

  test('an honest server that grows: the remembered checkpoint moves forward, across a restart', async () => {
    const server = new FakeServer().append(20);
    const a = setup(server);
    await a.witness.check();
    server.append(30);
    server.append(5, { checkpoint: false }); // not signed yet: not walked yet
    const b = setup(server, { dir: a.dir });
    assert.equal(b.witness.state().verified?.checkpoint.seq, 20, 'read back from witness.json');
    await b.witness.check();
    assert.equal(b.witness.state().verified?.checkpoint.seq, 50);
    assert.equal(b.witness.state().state, 'ok');
    assert.deepEqual(b.alerts, []);
  });

  test('the attack: the tail cut back together with its checkpoints → checkpoint_gone, naming seq and date; the alert survives a restart', async () => {
    const server = new FakeServer().append(40).append(10);
    const a = setup(server);
    await a.witness.check();
    assert.equal(a.witness.state().verified?.checkpoint.seq, 50);
    // the attacker deletes events 41… and every checkpoint after 40: what the server sees alone verifies
    server.events = server.events.slice(0, 40);
    server.checkpoints = server.checkpoints.filter((c) => c.seq <= 40);
    a.tick(60_000);
    await a.witness.check();
    const s = a.witness.state();
    assert.equal(s.state, 'alert');
    assert.equal(s.alert?.reason, 'checkpoint_gone');
    assert.equal(s.alert?.seq, 50);
    assert.equal(
      s.alert?.message,
      "The server's audit log no longer extends what this desktop verified at seq 50 on 2026-12-02 11:30 UTC: someone may have rewritten history.",
    );
    assert.match(s.alert?.detail ?? '', /the checkpoint at seq 50 is no longer served/);
    assert.equal(a.alerts.length, 1);
    assert.equal(a.changes.at(-1)?.state, 'alert');
    // once raised it stays: not raised twice, not cleared by a server that looks fine again
    await a.witness.check();
    assert.equal(a.alerts.length, 1);
    const b = setup(server, { dir: a.dir });
    assert.equal(b.witness.state().state, 'alert');
    assert.equal(b.witness.state().verified?.checkpoint.seq, 50, 'the remembered checkpoint did not move past the alert');
  });

  test('the attack: the whole log rewritten from seq 1, its checkpoints deleted and the new chain signed by the server → checkpoint_gone (another hash)', async () => {
    const server = new FakeServer().append(30);
    const a = setup(server);
    await a.witness.check();
    server.rewriteFrom(1);
    server.checkpoints = [];
    server.sign(); // the server signs the rewritten chain as if it were the first
    await a.witness.check();
    assert.equal(a.witness.state().alert?.reason, 'checkpoint_gone');
    assert.match(a.witness.state().alert?.detail ?? '', /the checkpoint at seq 30 now says hash/);
  });

  test('the attack: events after the verified checkpoint replaced, a new checkpoint signed over them → diverged', async () => {
    const server = new FakeServer().append(10);
    const a = setup(server);
    await a.witness.check();
    server.append(10, { checkpoint: false });
    // someone with the key rewrites 5… but keeps the old checkpoint at 10 as it was
    const oldCheckpoints = server.checkpoints;
    server.rewriteFrom(5);
    server.checkpoints = oldCheckpoints;
    server.sign();
    await a.witness.check();
    assert.equal(a.witness.state().alert?.reason, 'diverged');
    assert.match(a.witness.state().alert?.detail ?? '', /the event after seq 10 does not link to the hash verified here/);
  });

  test('the attack: an edited event between two checkpoints (hash not recomputed) → diverged at that seq', async () => {
    const server = new FakeServer().append(10);
    const a = setup(server);
    await a.witness.check();
    server.append(10);
    server.events[14] = { ...server.events[14]!, actorId: 'usr_mallory' };
    await a.witness.check();
    assert.equal(a.witness.state().alert?.reason, 'diverged');
    assert.match(a.witness.state().alert?.detail ?? '', /seq 15 does not hash/);
  });

  test('the attack: the newest checkpoint beyond the events (the tail cut, its checkpoint kept) → truncated', async () => {
    const server = new FakeServer().append(10);
    const a = setup(server);
    await a.witness.check();
    server.append(10);
    server.events = server.events.slice(0, 15);
    await a.witness.check();
    assert.equal(a.witness.state().alert?.reason, 'truncated');
  });

  test('the attack: checkpoints signed by another key → signature; the key itself replaced → key_changed', async () => {
    const server = new FakeServer().append(10);
    const a = setup(server);
    await a.witness.check();
    server.append(5, { checkpoint: false });
    server.sign(generateKeyPairSync('ed25519').privateKey);
    await a.witness.check();
    assert.equal(a.witness.state().alert?.reason, 'signature');

    const other = new FakeServer().append(10);
    const b = setup(other);
    await b.witness.check();
    other.keys = generateKeyPairSync('ed25519');
    other.checkpoints = [];
    other.sign();
    await b.witness.check();
    assert.equal(b.witness.state().alert?.reason, 'key_changed');
    assert.match(
      b.witness.state().alert?.message ?? '',
      /audit signing key is not the one this desktop first saw \(it verified seq 10 on 2026-12-02 11:30 UTC\)/,
    );
  });

  test('the attack: the database replaced (a new server id) but the same key: what was verified must still be there', async () => {
    const server = new FakeServer().append(20);
    const a = setup(server, { serverId: 'srv_old' });
    await a.witness.check();
    const fresh = new FakeServer();
    fresh.keys = server.keys;
    fresh.append(5);
    const b = setup(fresh, { dir: a.dir, serverId: 'srv_new' });
    await b.witness.check();
    assert.equal(b.witness.state().alert?.reason, 'checkpoint_gone');
    assert.equal(b.witness.state().alert?.seq, 20);
  });

  test('offline or failing: no alert, the error is kept for the state; unreachable: no call at all', async () => {
    const server = new FakeServer().append(10);
    let reachable = false;
    const a = setup(server, { reachable: () => reachable });
    await a.witness.check();
    assert.equal(server.calls, 0);
    reachable = true;
    server.down = true;
    await a.witness.check();
    assert.equal(a.witness.state().state, 'idle');
    assert.equal(a.witness.state().lastError, 'connection refused');
    assert.deepEqual(a.alerts, []);
    server.down = false;
    await a.witness.check();
    assert.equal(a.witness.state().state, 'ok');
    assert.equal(a.witness.state().lastError, undefined);
  });

  test('checks on its injected timer; concurrent checks share one run; close stops the timer', async () => {
    const server = new FakeServer().append(10);
    const registered: { fn: () => void; ms: number }[] = [];
    let cleared = 0;
    const timers: WitnessTimers = {
      setInterval: (fn, ms) => (registered.push({ fn, ms }), registered.length),
      clearInterval: () => void cleared++,
    };
    const a = setup(server, { timers });
    a.witness.start();
    a.witness.start();
    assert.equal(registered.length, 1);
    assert.equal(registered[0]!.ms, 5 * 60_000);
    registered[0]!.fn();
    await Promise.all([a.witness.check(), a.witness.check()]);
    assert.equal(a.witness.state().verified?.checkpoint.seq, 10);
    await a.witness.close();
    assert.equal(cleared, 1);
  });

  test('publish tells the console when the server it speaks for changes (signed out: the banner goes), once', async () => {
    const server = new FakeServer().append(10);
    let id: string | undefined = 'srv_1';
    const a = setup(server, { serverId: () => id });
    await a.witness.check();
    server.checkpoints = [];
    await a.witness.check();
    assert.equal(a.changes.at(-1)?.state, 'alert');
    const told = a.changes.length;
    a.witness.publish();
    assert.equal(a.changes.length, told, 'nothing new, nothing told');
    id = undefined;
    a.witness.publish();
    assert.equal(a.changes.length, told + 1);
    assert.equal(a.changes.at(-1)?.state, 'idle');
    assert.equal(a.changes.at(-1)?.alert, undefined);
    id = 'srv_1';
    a.witness.publish();
    assert.equal(a.changes.at(-1)?.state, 'alert', 'signed in again: the alert is still there');
  });

  test('an unreadable witness.json is said in the log, and the witness starts over', () => {
    const server = new FakeServer();
    const dir = mkdtempSync(join(tmpdir(), 'gh-witness-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'witness.json'), '{"version": 2}');
    const a = setup(server, { dir });
    assert.equal(a.witness.state().state, 'idle');
    assert.match(a.logs.join('\n'), /witness\.json is unreadable/);
  });
});
