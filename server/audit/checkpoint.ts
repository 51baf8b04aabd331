// Signed checkpoints of the audit chain. A checkpoint says "the event at seq had this hash", signed
// with the server's Ed25519 key over `${seq}.${hash}`. The key lives outside the database file, so
// someone who can write the database can still edit, rewrite or cut the chain, but cannot make it
// match the checkpoints again. verifyAudit walks events and checkpoints together.
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, linkSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { checkpointText } from '../../shared/audit-chain.ts';
import type { AuditCheckpoint, AuditEvent } from '../../shared/schemas/index.ts';
import { GENESIS, GENESIS_HASH, hashEvent, verifyChain, type ChainPoint } from './chain.ts';

/** A checkpoint is due in the transaction of every event whose seq is a multiple of this. */
export const CHECKPOINT_EVERY = 100;

export const AUDIT_KEY_ALGORITHM = 'ed25519';

/** The bytes a checkpoint's signature covers. */
export function checkpointMessage(seq: number, hash: string): Buffer {
  return Buffer.from(checkpointText(seq, hash), 'utf8');
}

/** Checks signatures: all an offline verifier needs. */
export interface CheckpointVerifier {
  readonly publicKeyPem: string;
  verify(checkpoint: Pick<AuditCheckpoint, 'seq' | 'hash' | 'signature'>): boolean;
}

/** The server's key: signs checkpoints and checks them. */
export interface AuditKey extends CheckpointVerifier {
  sign(seq: number, hash: string): string;
}

function verifierFor(publicKey: KeyObject): CheckpointVerifier {
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return {
    publicKeyPem,
    verify(cp) {
      try {
        return verify(null, checkpointMessage(cp.seq, cp.hash), publicKey, Buffer.from(cp.signature, 'base64'));
      } catch {
        return false;
      }
    },
  };
}

export class AuditKeyError extends Error {}

/** A verifier from a public key in PEM (SPKI), as GET /api/audit/public-key answers it. */
export function publicKeyVerifier(pem: string): CheckpointVerifier {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (err) {
    throw new AuditKeyError(`not a public key in PEM: ${(err as Error).message}`);
  }
  if (key.asymmetricKeyType !== AUDIT_KEY_ALGORITHM) throw new AuditKeyError(`not an Ed25519 key (${key.asymmetricKeyType ?? 'unknown type'})`);
  return verifierFor(key);
}

function auditKeyFrom(privateKey: KeyObject): AuditKey {
  if (privateKey.asymmetricKeyType !== AUDIT_KEY_ALGORITHM) throw new AuditKeyError(`not an Ed25519 key (${privateKey.asymmetricKeyType ?? 'unknown type'})`);
  const verifier = verifierFor(createPublicKey(privateKey));
  return {
    ...verifier,
    sign: (seq, hash) => sign(null, checkpointMessage(seq, hash), privateKey).toString('base64'),
  };
}

/** A new key in memory (tests). */
export function generateAuditKey(): AuditKey {
  return auditKeyFrom(generateKeyPairSync('ed25519').privateKey);
}

/** Reads the signing key (PKCS#8 PEM) from `file`. */
export function readAuditKey(file: string): AuditKey {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    throw new AuditKeyError(`cannot read the audit signing key ${file}: ${(err as Error).message}`);
  }
  try {
    return auditKeyFrom(createPrivateKey(pem));
  } catch (err) {
    if (err instanceof AuditKeyError) throw new AuditKeyError(`${file}: ${err.message}`);
    throw new AuditKeyError(`${file} is not an Ed25519 private key in PEM: ${(err as Error).message}`);
  }
}

/** Reads the key, or makes one (mode 0600) when `file` does not exist yet. */
export function openAuditKey(file: string): { key: AuditKey; created: boolean } {
  if (existsSync(file)) return { key: readAuditKey(file), created: false };
  const { privateKey } = generateKeyPairSync('ed25519');
  // Written whole to a temporary file and fsync'd, then linked into place (link never overwrites
  // a key that appeared meanwhile), then the directory fsync'd: a crash leaves either no key or the
  // whole key, and the key is on disk before anything is signed with it.
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, file);
  } finally {
    unlinkSync(tmp);
  }
  const dirFd = openSync(dirname(file), 'r');
  try {
    fsyncSync(dirFd);
  } catch {
    // Some platforms (Windows) cannot fsync a directory.
  } finally {
    closeSync(dirFd);
  }
  return { key: auditKeyFrom(privateKey), created: true };
}

export type AuditVerdict =
  | { ok: true; count: number; checkpoint: AuditCheckpoint | null }
  | { ok: false; brokenAt: number; reason: 'hash' | 'signature' | 'truncated' };

export interface VerifyOptions {
  /**
   * Where the events start. The whole log starts at seq 1 from the genesis hash; an export of a
   * time window starts wherever it starts, and its first prevHash is taken as given.
   */
  partial?: boolean;
}

/**
 * Walks the events (seq order) and the checkpoints (seq order) together:
 * - `hash`: the event at brokenAt does not follow the previous one (seq, prevHash) or its hash
 *   does not recompute (an edited, removed or reordered event).
 * - `signature`: the chain is consistent but contradicts what the key signed: a checkpoint's
 *   signature is invalid, the event at a checkpoint's seq has another hash (the chain was
 *   rewritten before brokenAt), or a checkpoint the server always writes is missing (every
 *   multiple of CHECKPOINT_EVERY after the first checkpoint; with events but no checkpoint at
 *   all, brokenAt is the first event).
 * - `truncated`: a validly signed checkpoint names a seq beyond the last event; brokenAt is the
 *   first missing seq.
 * An intact log answers its count and the last checkpoint; events after it are not signed yet.
 */
export async function verifyAudit(
  events: AsyncIterable<AuditEvent> | Iterable<AuditEvent>,
  checkpoints: AsyncIterable<AuditCheckpoint> | Iterable<AuditCheckpoint>,
  verifier: CheckpointVerifier,
  options: VerifyOptions = {},
): Promise<AuditVerdict> {
  const cps = (Symbol.asyncIterator in checkpoints ? checkpoints[Symbol.asyncIterator]() : checkpoints[Symbol.iterator]()) as
    | AsyncIterator<AuditCheckpoint>
    | Iterator<AuditCheckpoint>;
  const nextCheckpoint = async () => {
    const r = await cps.next();
    return r.done ? undefined : r.value;
  };
  let cp = await nextCheckpoint();
  let last: AuditCheckpoint | null = null;
  let prev: string | undefined = options.partial ? undefined : GENESIS_HASH;
  let expectedSeq: number | undefined = options.partial ? undefined : 1;
  let firstSeq: number | undefined;
  let count = 0;
  for await (const e of events) {
    firstSeq ??= e.seq;
    if ((expectedSeq !== undefined && e.seq !== expectedSeq) || (prev !== undefined && e.prevHash !== prev) || hashEvent(e.prevHash, e) !== e.hash) {
      return { ok: false, brokenAt: e.seq, reason: 'hash' };
    }
    // Checkpoints before the first event of a partial export cannot be checked against anything.
    while (cp && cp.seq < e.seq) {
      if (!options.partial || cp.seq > firstSeq) return { ok: false, brokenAt: cp.seq, reason: 'signature' };
      if (!verifier.verify(cp)) return { ok: false, brokenAt: cp.seq, reason: 'signature' };
      cp = await nextCheckpoint();
    }
    if (cp && cp.seq === e.seq) {
      if (!verifier.verify(cp) || cp.hash !== e.hash) return { ok: false, brokenAt: cp.seq, reason: 'signature' };
      last = cp;
      cp = await nextCheckpoint();
    } else if (!options.partial && last !== null && e.seq % CHECKPOINT_EVERY === 0) {
      return { ok: false, brokenAt: e.seq, reason: 'signature' };
    }
    prev = e.hash;
    expectedSeq = e.seq + 1;
    count++;
  }
  if (cp) {
    // Past the end: a genuine checkpoint there means the tail was cut; a forged one is forged.
    for (; cp; cp = await nextCheckpoint()) if (!verifier.verify(cp)) return { ok: false, brokenAt: cp.seq, reason: 'signature' };
    return { ok: false, brokenAt: (expectedSeq ?? 1) as number, reason: 'truncated' };
  }
  if (count > 0 && last === null) return { ok: false, brokenAt: firstSeq!, reason: 'signature' };
  return { ok: true, count, checkpoint: last };
}

/** What signing needs to read: the head, the last checkpoint, the events after it. */
export interface CheckpointSource {
  auditHead(): Promise<ChainPoint>;
  lastCheckpoint(): Promise<AuditCheckpoint | undefined>;
  auditPage(after: number, limit: number): Promise<AuditEvent[]>;
}

export type CheckpointDecision = { checkpoint: AuditCheckpoint } | { upToDate: true } | { refused: string };

async function* eventsAfter(source: CheckpointSource, after: number, until: number): AsyncGenerator<AuditEvent> {
  for (;;) {
    const page = await source.auditPage(after, 1000);
    for (const e of page) {
      if (e.seq > until) return;
      yield e;
    }
    if (page.length < 1000) return;
    after = page[page.length - 1]!.seq;
  }
}

/**
 * A checkpoint of the head, signed at `at`, if the head is not signed yet. The server signs only a
 * chain that extends its last checkpoint: that checkpoint's signature holds, the event at its seq
 * still has its hash, and every event since links and recomputes. Otherwise it refuses, so a chain
 * edited behind its back is never blessed by a fresh signature.
 */
export async function nextCheckpoint(source: CheckpointSource, key: AuditKey, at: string): Promise<CheckpointDecision> {
  const head = await source.auditHead();
  if (head.seq === 0) return { upToDate: true };
  const last = await source.lastCheckpoint();
  if (last && last.seq === head.seq) return { upToDate: true };
  if (last && last.seq > head.seq) return { refused: `the last checkpoint (seq ${last.seq}) is beyond the last audit event (seq ${head.seq})` };
  let from = GENESIS;
  if (last) {
    if (!key.verify(last)) return { refused: `the checkpoint at seq ${last.seq} is not signed by this server's audit key` };
    const [event] = await source.auditPage(last.seq - 1, 1);
    if (event?.seq !== last.seq || event.hash !== last.hash) return { refused: `the audit event at seq ${last.seq} no longer matches its checkpoint` };
    from = { seq: last.seq, hash: last.hash };
  }
  const walk = await verifyChain(eventsAfter(source, from.seq, head.seq), from);
  if (!walk.ok) return { refused: `the audit chain breaks at seq ${walk.brokenAt}` };
  if (walk.head.seq !== head.seq || walk.head.hash !== head.hash) return { refused: `the audit chain changed while it was being signed` };
  return { checkpoint: { seq: head.seq, hash: head.hash, at, signature: key.sign(head.seq, head.hash) } };
}
