// The desktop as a witness of the audit chain, through the composed core against the real server:
// someone who can write the server's database (not its signing key) rewrites the whole log and
// deletes every checkpoint while the server is down. The server, alone, re-signs the new chain and
// verifies it as intact; the desktop, which remembered the checkpoint it verified, raises the alert
// (witness.get, the witness.changed event, an urgent OS notification).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createDesktopCore, type DesktopCore } from '../../electron/core/app.ts';
import type { WitnessState } from '../../shared/desktop/witness.ts';
import { testClock } from '../clock.ts';
import { rewriteWholeLogAndDropCheckpoints } from '../tamper.ts';
import { cleanupTempDirs, killAll, tempDir } from '../server/harness.ts';
import { OLIVIA, RHEA, demoBackend, until, type Backend, MemorySecrets, RecordingSink } from './helpers.ts';

let b: Backend;
before(async () => {
  b = await demoBackend();
});
after(() => {
  killAll();
  cleanupTempDirs();
});

async function open(dataDir: string, sink = new RecordingSink()) {
  const events: WitnessState[] = [];
  const core = await createDesktopCore({
    mode: 'web',
    dataDir,
    clock: testClock,
    secrets: new MemorySecrets(),
    notifications: sink,
    server: { url: b.url(), token: b.token(RHEA) },
  });
  core.subscribe((event, payload) => {
    if (event === 'witness.changed') events.push(payload as WitnessState);
  });
  return { core, sink, events };
}

async function witness(core: DesktopCore): Promise<WitnessState> {
  const r = await core.dispatch('witness.get', {});
  assert.ok(r.ok, JSON.stringify(r));
  return r.data as WitnessState;
}

test('the attack: the whole audit log rewritten and its checkpoints deleted → the server verifies it, the desktop alerts (banner state, event, urgent notification)', async () => {
  const dataDir = tempDir('gh-witness-');
  let { core } = await open(dataDir);
  const first = await until(
    async () => {
      const s = await witness(core);
      return s.state === 'ok' && s;
    },
    30_000,
    'the first verification',
  );
  const admin = b.api(OLIVIA);
  const served = (await admin.get('/api/audit/checkpoints?limit=5000')).body.checkpoints as { seq: number; hash: string }[];
  assert.deepEqual(
    { seq: first.verified!.checkpoint.seq, hash: first.verified!.checkpoint.hash },
    { seq: served.at(-1)!.seq, hash: served.at(-1)!.hash },
    'the newest checkpoint was verified',
  );
  assert.equal(first.alert, undefined);
  await core.close();

  await b.server.stop();
  await rewriteWholeLogAndDropCheckpoints(b.dir);
  await b.server.start();
  // Alone, the server cannot tell: it signs the rewritten chain as if it were the first.
  const verify = (await admin.get('/api/audit/verify')).body;
  assert.equal(verify.ok, true, JSON.stringify(verify));

  const sink = new RecordingSink();
  const second = await open(dataDir, sink);
  core = second.core;
  const events = second.events;
  const alerted = await until(
    async () => {
      const s = await witness(core);
      return s.state === 'alert' && s;
    },
    30_000,
    'the alert',
  );
  const seq = first.verified!.checkpoint.seq;
  assert.equal(alerted.alert?.reason, 'checkpoint_gone');
  assert.equal(alerted.alert?.seq, seq);
  assert.match(
    alerted.alert!.message,
    new RegExp(
      `^The server's audit log no longer extends what this desktop verified at seq ${seq} on \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC: someone may have rewritten history\\.$`,
    ),
  );
  // witness.get sees the alert as soon as it is recorded; the event follows once it is saved.
  await until(async () => events.at(-1)?.state === 'alert', 10_000, 'witness.changed telling the console');
  const note = sink.shown.find((n) => n.id.startsWith('witness:'));
  assert.ok(note, `an OS notification: ${JSON.stringify(sink.shown.map((n) => n.title))}`);
  assert.equal(note.urgent, true);
  assert.ok(note.body.startsWith(alerted.alert!.message));
  assert.equal(core.notificationTarget(note.id)?.kind, 'audit');
  await core.close();
});
