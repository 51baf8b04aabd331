import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { nodeIo, tempPathOf, writeFileAtomic, type AtomicWriteIo } from './atomic-write.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(os.tmpdir(), 'gatehouse-atomic-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** nodeIo, recording the order of the steps. */
function recording(steps: string[], overrides: Partial<AtomicWriteIo> = {}): AtomicWriteIo {
  return {
    writeAndSync: async (p, c, m) => (steps.push('write+fsync'), (overrides.writeAndSync ?? nodeIo.writeAndSync)(p, c, m)),
    rename: async (a, b) => (steps.push('rename'), (overrides.rename ?? nodeIo.rename)(a, b)),
    syncDir: async (d) => (steps.push('fsync dir'), (overrides.syncDir ?? nodeIo.syncDir)(d)),
    unlink: async (p) => (steps.push('unlink'), (overrides.unlink ?? nodeIo.unlink)(p)),
  };
}

describe('writeFileAtomic', () => {
  test('writes the temp file and fsyncs it, renames it over the file, then fsyncs the directory', async () => {
    const file = join(dir, 'settings.json');
    writeFileSync(file, 'old');
    const steps: string[] = [];
    await writeFileAtomic(file, 'new', { io: recording(steps) });
    assert.deepEqual(steps, ['write+fsync', 'rename', 'fsync dir']);
    assert.equal(readFileSync(file, 'utf8'), 'new');
    assert.deepEqual(readdirSync(dir), ['settings.json']);
  });

  test('takes a string, bytes or chunks; the mode is exact (0600 by default) whatever the umask', async () => {
    const file = join(dir, 'token');
    await writeFileAtomic(file, Buffer.from('abc'));
    assert.equal(readFileSync(file, 'utf8'), 'abc');
    await writeFileAtomic(file, [Buffer.from('de'), Buffer.from('f')]);
    assert.equal(readFileSync(file, 'utf8'), 'def');
    if (process.platform !== 'win32') {
      assert.equal(statSync(file).mode & 0o777, 0o600);
      await writeFileAtomic(file, 'g', { mode: 0o640 });
      assert.equal(statSync(file).mode & 0o777, 0o640);
    }
  });

  test('creates a missing parent directory (0700)', async () => {
    const file = join(dir, 'a', 'b', 'session.json');
    await writeFileAtomic(file, '{}');
    assert.equal(readFileSync(file, 'utf8'), '{}');
    if (process.platform !== 'win32') assert.equal(statSync(join(dir, 'a', 'b')).mode & 0o777, 0o700);
  });

  test('a failed write leaves the old file as it was and no temp file', async () => {
    const file = join(dir, 'cache.sqlite');
    writeFileSync(file, 'old');
    const io = recording([], {
      writeAndSync: async (p) => {
        writeFileSync(p, 'par'); // a torn temp file, as a full disk leaves it
        throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      },
    });
    await assert.rejects(writeFileAtomic(file, 'new', { io }), /ENOSPC/);
    assert.equal(readFileSync(file, 'utf8'), 'old');
    assert.equal(existsSync(tempPathOf(file)), false);
  });

  test('replacements of one file run one at a time, in call order: the last one wins', async () => {
    const file = join(dir, 'outbox.jsonl');
    let writing = 0;
    let overlapped = false;
    const io = recording([], {
      writeAndSync: async (p, c, m) => {
        if (++writing > 1) overlapped = true;
        await new Promise((r) => setTimeout(r, 5));
        await nodeIo.writeAndSync(p, c, m);
        writing--;
      },
    });
    await Promise.all(['one', 'two', 'three'].map((text) => writeFileAtomic(file, text, { io })));
    assert.equal(overlapped, false);
    assert.equal(readFileSync(file, 'utf8'), 'three');
  });

  test('a failed replacement does not stop the next one', async () => {
    const file = join(dir, 'settings.json');
    const failing = recording([], { rename: async () => Promise.reject(new Error('EIO')) });
    const [a, b] = await Promise.allSettled([writeFileAtomic(file, 'first', { io: failing }), writeFileAtomic(file, 'second')]);
    assert.equal(a.status, 'rejected');
    assert.equal(b.status, 'fulfilled');
    assert.equal(readFileSync(file, 'utf8'), 'second');
  });
});
