// The desktop as a witness of the server's audit chain. The server signs checkpoints of its hash
// chain, but whoever can write its database can still cut the tail back together with the
// checkpoints after it, or rewrite the whole log with every checkpoint deleted (the server then
// signs the new chain as if it were the first): the server cannot see that alone. A desktop that
// remembers the last checkpoint it verified can.
//
// What is remembered, per server identity (the database's serverId), in witness.json (written
// atomically): the server's audit public key as first seen (trust on first use) and the last
// checkpoint this desktop verified itself. A check (on connect, then every few minutes online):
//
// 1. The public key must be the remembered one: a changed key is an alert (a new key can sign any
//    history; a legitimate rotation is rare enough to deserve one).
// 2. The remembered checkpoint (seq N, hash H) must still be served, with the same hash and a valid
//    signature: a rewrite before or at N either removes it or changes it.
// 3. Every newer checkpoint must be signed by the key, and the events N+1…M up to the newest one (M)
//    must link to H and recompute, each event's hash computed here (shared/audit-chain.ts), so
//    M's chain contains the one this desktop verified. The server's own verify answer is not
//    trusted for this: a server that lies or was rewritten wholesale would say ok.
// 4. Then M is remembered. At first contact N is the genesis (the whole log is walked once).
// A contradiction is an alert (kept in witness.json, so a restart still shows it, and the
// remembered checkpoint is not moved past it); network and server errors are not.
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Clock } from '../../../shared/clock.ts';
import { auditHashInput, checkpointText, GENESIS_HASH } from '../../../shared/audit-chain.ts';
import { WitnessAlert, type WitnessReason, type WitnessState } from '../../../shared/desktop/witness.ts';
import { AuditCheckpoint, IsoTime, type AuditEvent } from '../../../shared/schemas/index.ts';
import { writeFileAtomic } from '../atomic-write.ts';
import type { BackendClient } from '../client/index.ts';
import { ApiError } from '../client/index.ts';

/** How often a check runs while online. */
export const WITNESS_INTERVAL_MS = 5 * 60_000;
const PAGE = 5000;

const ServerRecord = z.object({
  publicKey: z.string(),
  firstSeenAt: IsoTime,
  verified: z.object({ checkpoint: AuditCheckpoint, verifiedAt: IsoTime }).optional(),
  alert: WitnessAlert.optional(),
});
const WitnessFile = z.object({ version: z.literal(1), servers: z.record(z.string(), ServerRecord) });
type WitnessFile = z.infer<typeof WitnessFile>;

export interface WitnessTimers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

const realTimers: WitnessTimers = {
  setInterval: (fn, ms) => {
    const t = setInterval(fn, ms);
    t.unref?.();
    return t;
  },
  clearInterval: (h) => clearInterval(h as ReturnType<typeof setInterval>),
};

export interface AuditWitnessOptions {
  /** witness.json's path. */
  file: string;
  /** The client while the server is reachable. */
  client: () => Pick<BackendClient, 'auditPublicKey' | 'auditCheckpoints' | 'audit'> | undefined;
  /** The server's identity (the database's id, from /api/sync), once known. */
  serverId: () => string | undefined;
  clock: Clock;
  timers?: WitnessTimers;
  /** The state changed (for the console). */
  onChange: (state: WitnessState) => void;
  /** A new alert: the OS notification. */
  onAlert: (alert: WitnessAlert, serverId: string) => void;
  log: (line: string) => void;
  intervalMs?: number;
}

class Contradiction extends Error {
  constructor(
    readonly reason: WitnessReason,
    readonly detail: string,
  ) {
    super(detail);
  }
}

function sha256(prevHash: string, e: AuditEvent): string {
  return createHash('sha256').update(prevHash).update(auditHashInput(e)).digest('hex');
}

function signedBy(key: KeyObject, cp: AuditCheckpoint): boolean {
  try {
    return verify(null, Buffer.from(checkpointText(cp.seq, cp.hash), 'utf8'), key, Buffer.from(cp.signature, 'base64'));
  } catch {
    return false;
  }
}

/** "2026-12-02 10:30 UTC" */
function when(iso: string | undefined): string {
  return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : 'first contact';
}

export function alertMessage(reason: WitnessReason, seq: number, verifiedAt: string | undefined): string {
  if (reason === 'key_changed') {
    return `The server's audit signing key is not the one this desktop first saw${verifiedAt ? ` (it verified seq ${seq} on ${when(verifiedAt)})` : ''}: someone may be signing a rewritten history.`;
  }
  if (seq === 0) return "The server's audit log contradicts its own signed checkpoints, as this desktop checked them: someone may have rewritten history.";
  return `The server's audit log no longer extends what this desktop verified at seq ${seq} on ${when(verifiedAt)}: someone may have rewritten history.`;
}

export class AuditWitness {
  readonly #o: AuditWitnessOptions;
  readonly #timers: WitnessTimers;
  #file: WitnessFile;
  #timer: unknown;
  #running: Promise<void> | undefined;
  #again = false;
  #closed = false;
  #lastCheckAt: string | undefined;
  #lastError: string | undefined;
  #unsupported = false;
  /** What the console was last told (undefined: nothing yet). */
  #published: string | undefined;

  constructor(options: AuditWitnessOptions) {
    this.#o = options;
    this.#timers = options.timers ?? realTimers;
    this.#file = AuditWitness.#read(options.file, options.log);
  }

  static #read(file: string, log: (line: string) => void): WitnessFile {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return { version: 1, servers: {} };
    }
    try {
      return WitnessFile.parse(JSON.parse(text));
    } catch (err) {
      // Never silently start over: an unreadable file is said, and the next check re-learns the
      // key and the chain (trust on first use again).
      log(`witness: ${file} is unreadable (${(err as Error).message}); starting over`);
      return { version: 1, servers: {} };
    }
  }

  /** Starts the periodic checks (each runs only when the server is reachable). */
  start(): void {
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = this.#timers.setInterval(() => void this.check(), this.#o.intervalMs ?? WITNESS_INTERVAL_MS);
  }

  close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) this.#timers.clearInterval(this.#timer);
    this.#timer = undefined;
    return this.#running ?? Promise.resolve();
  }

  state(): WitnessState {
    const serverId = this.#o.serverId();
    const rec = serverId ? this.#file.servers[serverId] : undefined;
    const state: WitnessState['state'] = rec?.alert ? 'alert' : this.#unsupported ? 'unsupported' : rec?.verified ? 'ok' : 'idle';
    return {
      state,
      ...(serverId ? { serverId } : {}),
      ...(rec?.verified ? { verified: rec.verified } : {}),
      ...(this.#lastCheckAt ? { lastCheckAt: this.#lastCheckAt } : {}),
      ...(this.#lastError ? { lastError: this.#lastError } : {}),
      ...(rec?.alert ? { alert: rec.alert } : {}),
    };
  }

  /**
   * Tells the console the state if it changed since it was last told: after each check, and when
   * the connection changes (another server, or none, has another state: its banner must go).
   */
  publish(): void {
    const now = this.#fingerprint();
    if (now === this.#published) return;
    this.#published = now;
    this.#o.onChange(this.state());
  }

  /** The state without the time of the last check: what the console needs to hear about. */
  #fingerprint(): string {
    const { lastCheckAt: _, ...rest } = this.state();
    return JSON.stringify(rest);
  }

  /** Checks now (a check already running is followed by one more). Never throws. */
  check(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        await this.#checkOnce();
      } while (this.#again && !this.#closed);
    })().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #checkOnce(): Promise<void> {
    const client = this.#o.client();
    const serverId = this.#o.serverId();
    if (!client || !serverId) return;
    try {
      await this.#verify(client, serverId);
      this.#lastError = undefined;
      this.#unsupported = false;
    } catch (err) {
      if (err instanceof Contradiction) await this.#raise(serverId, err);
      else if (err instanceof ApiError && err.status === 404) this.#unsupported = true;
      else {
        this.#lastError = (err as Error).message;
        this.#o.log(`witness: the check could not finish: ${this.#lastError}`);
      }
    }
    this.#lastCheckAt = this.#o.clock().toISOString();
    this.publish();
  }

  async #verify(client: NonNullable<ReturnType<AuditWitnessOptions['client']>>, serverId: string): Promise<void> {
    const pem = (await client.auditPublicKey()).trim();
    let rec = this.#file.servers[serverId];
    if (rec?.alert) return; // stays raised; the remembered checkpoint does not move past it
    if (!rec) {
      // A database this desktop has not seen, signed by a key it has seen: the same server's log
      // replaced (a new database keeps the key file). What was verified must still be there.
      const sameKey = Object.values(this.#file.servers).find((r) => r.publicKey.trim() === pem && r.verified);
      rec = { publicKey: pem, firstSeenAt: this.#o.clock().toISOString(), ...(sameKey?.verified ? { verified: sameKey.verified } : {}) };
      this.#file.servers[serverId] = rec;
      await this.#save();
    }
    const seq = rec.verified?.checkpoint.seq ?? 0;
    if (rec.publicKey.trim() !== pem)
      throw new Contradiction('key_changed', `the server presents another audit public key than the one first seen on ${when(rec.firstSeenAt)}`);
    let key: KeyObject;
    try {
      key = createPublicKey(pem);
    } catch (err) {
      throw new Error(`the server's audit public key is not a key: ${(err as Error).message}`);
    }
    const base = rec.verified?.checkpoint;

    // 2. The checkpoint verified here is still served, unchanged.
    if (base) {
      const [again] = await client.auditCheckpoints(base.seq - 1, 1);
      if (!again || again.seq !== base.seq) {
        throw new Contradiction(
          'checkpoint_gone',
          `the checkpoint at seq ${base.seq} is no longer served${again ? ` (the next one is at seq ${again.seq})` : ''}`,
        );
      }
      if (again.hash !== base.hash)
        throw new Contradiction('checkpoint_gone', `the checkpoint at seq ${base.seq} now says hash ${again.hash}, not ${base.hash}`);
      if (!signedBy(key, again)) throw new Contradiction('signature', `the checkpoint at seq ${base.seq} is not signed by the server's key`);
    }

    // 3. Newer checkpoints: every one signed; the newest is where the walk must arrive.
    const newer: AuditCheckpoint[] = [];
    for (let after = seq; ; ) {
      const page = await client.auditCheckpoints(after, PAGE);
      for (const cp of page) {
        if (cp.seq <= after) throw new Contradiction('diverged', `checkpoints are not in seq order at seq ${cp.seq}`);
        if (!signedBy(key, cp)) throw new Contradiction('signature', `the checkpoint at seq ${cp.seq} is not signed by the server's key`);
        newer.push(cp);
        after = cp.seq;
      }
      if (page.length < PAGE) break;
    }
    const target = newer[newer.length - 1];
    if (!target) return; // nothing newer signed yet

    // The events from the verified checkpoint to the newest one link and recompute, here.
    const bySeq = new Map(newer.map((c) => [c.seq, c]));
    let prev = base?.hash ?? GENESIS_HASH;
    let expected = seq + 1;
    while (expected <= target.seq) {
      const { events } = await client.audit(expected - 1, PAGE);
      if (events.length === 0)
        throw new Contradiction(
          'truncated',
          `the checkpoint at seq ${target.seq} names an event the server no longer has (the log ends at seq ${expected - 1})`,
        );
      for (const e of events) {
        if (expected > target.seq) break;
        if (e.seq !== expected) throw new Contradiction('diverged', `the event after seq ${expected - 1} is seq ${e.seq}`);
        if (e.prevHash !== prev) {
          throw new Contradiction(
            'diverged',
            expected === seq + 1
              ? `the event after seq ${seq} does not link to the hash verified here`
              : `the event at seq ${e.seq} does not link to the one before it`,
          );
        }
        if (sha256(prev, e) !== e.hash) throw new Contradiction('diverged', `the event at seq ${e.seq} does not hash to its recorded hash`);
        const cp = bySeq.get(e.seq);
        if (cp && cp.hash !== e.hash) throw new Contradiction('diverged', `the event at seq ${e.seq} has another hash than its signed checkpoint`);
        prev = e.hash;
        expected++;
      }
    }
    rec.verified = { checkpoint: target, verifiedAt: this.#o.clock().toISOString() };
    await this.#save();
  }

  async #raise(serverId: string, c: Contradiction): Promise<void> {
    const rec = this.#file.servers[serverId];
    if (!rec || rec.alert) return;
    const seq = rec.verified?.checkpoint.seq ?? 0;
    const alert: WitnessAlert = {
      reason: c.reason,
      seq,
      ...(rec.verified ? { verifiedAt: rec.verified.verifiedAt } : {}),
      detectedAt: this.#o.clock().toISOString(),
      message: alertMessage(c.reason, seq, rec.verified?.verifiedAt),
      detail: c.detail,
    };
    rec.alert = alert;
    this.#o.log(`witness: ALERT ${c.reason}: ${c.detail}`);
    try {
      await this.#save();
    } catch (err) {
      this.#o.log(`witness: could not record the alert: ${(err as Error).message}`);
    }
    this.#o.onAlert(alert, serverId);
  }

  async #save(): Promise<void> {
    await writeFileAtomic(this.#o.file, `${JSON.stringify(this.#file, null, 2)}\n`, { mode: 0o600 });
  }
}
