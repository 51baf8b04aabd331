// The cache file's format, and the checks that decide whether a file on disk is a usable SQLite
// database before sql.js sees it. (Saves replace the file through ../atomic-write.ts, so a save
// is never torn; these checks catch what else can happen to a file.)
//
// The file is the SQLite image followed by a 16-byte seal: "GHSEAL01", the CRC-32 of the image and
// its length. A file whose seal verifies is byte for byte what a healthy database exported, so open
// skips PRAGMA quick_check (~150-300 ms on a 50k-request cache; the CRC costs ~10 ms). A file
// without a seal (written by something else) is quick_checked. SQLite ignores the trailing bytes
// (the header's page count is valid), so the file still opens in the sqlite3 shell.
import { crc32 } from 'node:zlib';
import { basename, dirname, join } from 'node:path';

const MAGIC = 'SQLite format 3\0';
const SEAL = Buffer.from('GHSEAL01', 'latin1');
export const SEAL_BYTES = 16;

/** The seal written after a database image. */
export function sealOf(image: Uint8Array): Uint8Array {
  const seal = Buffer.alloc(SEAL_BYTES);
  SEAL.copy(seal, 0);
  seal.writeUInt32BE(crc32(image), 8);
  seal.writeUInt32BE(image.byteLength, 12);
  return seal;
}

/**
 * Splits a file into its database image and seal. `verified` when the seal is there and matches;
 * a seal that is there but wrong is a problem; no seal means an image to quick_check.
 */
export function unseal(bytes: Uint8Array): { image: Uint8Array; verified: boolean } | { problem: string } {
  if (bytes.byteLength < SEAL_BYTES) return { image: bytes, verified: false };
  const tail = Buffer.from(bytes.buffer, bytes.byteOffset + bytes.byteLength - SEAL_BYTES, SEAL_BYTES);
  if (!tail.subarray(0, 8).equals(SEAL)) return { image: bytes, verified: false };
  const length = tail.readUInt32BE(12);
  if (length !== bytes.byteLength - SEAL_BYTES) return { problem: `bad seal (length ${length}, file holds ${bytes.byteLength - SEAL_BYTES})` };
  const image = bytes.subarray(0, length);
  if (crc32(image) !== tail.readUInt32BE(8)) return { problem: 'checksum mismatch (the file changed after it was written)' };
  return { image, verified: true };
}

/**
 * Why `bytes` cannot be a healthy SQLite file, or null if the header looks right: wrong magic,
 * an impossible page size, or fewer bytes than the header says the database has (truncated).
 */
export function headerProblem(bytes: Uint8Array): string | null {
  if (bytes.byteLength === 0) return 'empty file';
  if (bytes.byteLength < 100) return `truncated (${bytes.byteLength} bytes, shorter than a SQLite header)`;
  const magic = Buffer.from(bytes.buffer, bytes.byteOffset, 16).toString('latin1');
  if (magic !== MAGIC) return 'bad header (not a SQLite database)';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const raw = view.getUint16(16);
  const pageSize = raw === 1 ? 65536 : raw;
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) return `bad header (page size ${raw})`;
  if (bytes.byteLength % pageSize !== 0) return `truncated (${bytes.byteLength} bytes is not a whole number of ${pageSize}-byte pages)`;
  const changeCounter = view.getUint32(24);
  const pages = view.getUint32(28);
  const validFor = view.getUint32(92);
  if (pages > 0 && changeCounter === validFor && bytes.byteLength < pages * pageSize) {
    return `truncated (${bytes.byteLength} bytes, the header says ${pages * pageSize})`;
  }
  return null;
}

/** Renames a bad cache file aside to `<file>.corrupt-<timestamp>`; returns the new path. */
export function corruptPathOf(file: string, now: Date): string {
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  return join(dirname(file), `${basename(file)}.corrupt-${stamp}`);
}
