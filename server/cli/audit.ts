import { readFileSync } from 'node:fs';
import { AuditKeyError, publicKeyVerifier, verifyAudit, type CheckpointVerifier } from '../audit/checkpoint.ts';
import { ExportFormatError, parseExport } from '../audit/export.ts';
import { parseFlags, required, UsageError } from './args.ts';

export const AUDIT_USAGE = `usage: gatehouse audit verify --file EXPORT --public-key KEY

Checks an audit export (GET /api/audit/export, CSV or JSONL) offline: every event links to the
one before and its hash recomputes, and the checkpoint the file ends with is signed by KEY and
matches the event at its seq. KEY is the server's public key in PEM, or the JSON answer of
GET /api/audit/public-key. Exit codes: 0 intact; 1 broken (the reason is printed), or an error.`;

const REASONS = {
  hash: 'the event does not follow the one before it, or its hash does not recompute (edited, removed or reordered)',
  signature: 'the chain does not match the signed checkpoint (rewritten before this seq), or the checkpoint is not signed by this key',
  truncated: 'the checkpoint names a seq beyond the last event: events were cut off the end',
} as const;

function readVerifier(file: string): CheckpointVerifier {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read --public-key: ${(err as Error).message}`);
  }
  let pem = text;
  if (text.trimStart().startsWith('{')) {
    try {
      pem = String((JSON.parse(text) as { publicKey?: unknown }).publicKey ?? '');
    } catch {
      throw new UsageError(`--public-key ${file} is neither a PEM public key nor the JSON of GET /api/audit/public-key`);
    }
  }
  try {
    return publicKeyVerifier(pem);
  } catch (err) {
    if (err instanceof AuditKeyError) throw new UsageError(`--public-key ${file}: ${err.message}`);
    throw err;
  }
}

async function verifyExport(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, { file: { type: 'string' }, 'public-key': { type: 'string' } }, AUDIT_USAGE);
  if (flags.help) return (void console.log(AUDIT_USAGE), 0);
  const file = required(flags, 'file', AUDIT_USAGE);
  const verifier = readVerifier(required(flags, 'public-key', AUDIT_USAGE));
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read --file: ${(err as Error).message}`);
  }
  let parsed: ReturnType<typeof parseExport>;
  try {
    parsed = parseExport(text);
  } catch (err) {
    if (err instanceof ExportFormatError) throw new UsageError(`--file ${file} is not a Gatehouse audit export: ${err.message}`);
    throw err;
  }
  const { events, checkpoint } = parsed;
  if (events.length === 0) throw new UsageError(`--file ${file} holds no audit events`);
  const first = events[0]!.seq;
  const lastSeq = events[events.length - 1]!.seq;
  const partial = first !== 1;
  if (partial) console.log(`note: the file starts at seq ${first}; the events before it are not in it, so its first link is taken as given`);
  if (!checkpoint) {
    console.log(`broken: reason=signature at seq ${first}: the file carries no checkpoint, so nothing in it is signed`);
    return 1;
  }
  const verdict = await verifyAudit(events, [checkpoint], verifier, { partial });
  if (!verdict.ok) {
    const why =
      verdict.reason === 'signature' && checkpoint.seq < first
        ? `the checkpoint (seq ${checkpoint.seq}) is before the file's first event, so nothing in it is signed (export a window that holds a checkpoint)`
        : REASONS[verdict.reason];
    console.log(`broken: reason=${verdict.reason} at seq ${verdict.brokenAt}: ${why}`);
    return 1;
  }
  const unsigned = lastSeq - checkpoint.seq;
  console.log(
    `intact: ${verdict.count} events (seq ${first}–${lastSeq}), signed through seq ${checkpoint.seq} at ${checkpoint.at}` +
      (unsigned > 0 ? `; the last ${unsigned} are linked but not signed` : ''),
  );
  return 0;
}

export async function audit(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    console.log(AUDIT_USAGE);
    return sub === undefined ? 1 : 0;
  }
  if (sub !== 'verify') throw new UsageError(`unknown audit command "${sub}"\n\n${AUDIT_USAGE}`);
  return verifyExport(rest);
}
