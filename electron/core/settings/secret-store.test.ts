import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseSecretStore, MemorySecretStore, tokenPersistence } from './secret-store.ts';
import type { SecretStore } from '../contracts.ts';

class RecordingStore implements SecretStore {
  token: string | undefined = 'left-by-an-earlier-run';
  sets: (string | undefined)[] = [];
  async get() {
    return this.token;
  }
  async set(t: string | undefined) {
    this.sets.push(t);
    this.token = t;
  }
}

test('the attack: on Linux basic_text (or unknown) safeStorage the token is never persisted, and an old one is removed', async () => {
  for (const backend of ['basic_text', 'unknown', undefined, 'something_new']) {
    const disk = new RecordingStore();
    const { secrets, notice } = await chooseSecretStore({ platform: 'linux', encryptionAvailable: true, backend }, disk);
    assert.ok(secrets instanceof MemorySecretStore, String(backend));
    assert.match(notice ?? '', /sign in at each launch/);
    assert.match(notice ?? '', new RegExp(backend ?? 'unknown'));
    assert.deepEqual(disk.sets, [undefined], 'the token an earlier run stored is deleted');
    await secrets.set('tok_abcdefgh');
    assert.equal(await secrets.get(), 'tok_abcdefgh');
    assert.deepEqual(disk.sets, [undefined], 'nothing reaches the disk store');
  }
});

test('no encryption at all: memory only, on every platform', async () => {
  for (const platform of ['linux', 'darwin', 'win32'] as const) {
    const d = tokenPersistence({ platform, encryptionAvailable: false, backend: 'gnome_libsecret' });
    assert.equal(d.persist, false);
    const disk = new RecordingStore();
    const { secrets, notice } = await chooseSecretStore({ platform, encryptionAvailable: false }, disk);
    assert.ok(secrets instanceof MemorySecretStore);
    assert.match(notice ?? '', /no encrypted storage/);
  }
});

test('a real keyring (or macOS / Windows with encryption) persists, with no notice', async () => {
  for (const backend of ['gnome_libsecret', 'kwallet', 'kwallet5', 'kwallet6']) {
    const disk = new RecordingStore();
    const r = await chooseSecretStore({ platform: 'linux', encryptionAvailable: true, backend }, disk);
    assert.equal(r.secrets, disk);
    assert.equal(r.notice, undefined);
    assert.deepEqual(disk.sets, []);
  }
  for (const platform of ['darwin', 'win32'] as const) assert.deepEqual(tokenPersistence({ platform, encryptionAvailable: true }), { persist: true });
});
