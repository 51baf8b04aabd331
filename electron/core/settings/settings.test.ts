import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { AppSettings, SettingsError, SettingsStore, defaultSettings, FileSecretStore } from './index.ts';

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-settings-'));
  file = path.join(dir, 'settings.json');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const FIXED = () => new Date('2026-11-23T06:25:09.123Z');

describe('AppSettings schema', () => {
  test('defaults', () => {
    assert.deepEqual(defaultSettings(), {
      notifications: { enabled: true, newRequests: true, myRequests: true, freezes: true, breakGlass: true, coalesceWindowMs: 10_000 },
      diffPrefetch: { enabled: true, budgetMiB: 256 },
      theme: 'system',
      diffMode: 'unified',
    });
  });

  test('every field is described', () => {
    assert.ok(AppSettings.description);
    for (const [key, schema] of Object.entries(AppSettings.shape)) assert.ok(schema.description, key);
    const n = AppSettings.shape.notifications.unwrap();
    for (const [key, schema] of Object.entries(n.shape)) assert.ok(schema.description, `notifications.${key}`);
    assert.match(n.shape.breakGlass.description!, /not switchable/);
  });

  test('quiet hours may wrap midnight; server URL must be http(s)', () => {
    const s = AppSettings.parse({ serverUrl: 'https://gatehouse.example.com', notifications: { quietHours: { start: '22:30', end: '07:00' } } });
    assert.deepEqual(s.notifications.quietHours, { start: '22:30', end: '07:00' });
    assert.equal(AppSettings.safeParse({ serverUrl: 'ftp://example.com' }).success, false);
    assert.equal(AppSettings.safeParse({ serverUrl: 'javascript:alert(1)' }).success, false);
    assert.equal(AppSettings.safeParse({ notifications: { quietHours: { start: '24:00', end: '07:00' } } }).success, false);
    assert.equal(AppSettings.safeParse({ notifications: { quietHours: { start: '7:00', end: '08:00' } } }).success, false);
  });

  test('break-glass notifications cannot be switched off', () => {
    const r = AppSettings.safeParse({ notifications: { breakGlass: false } });
    assert.equal(r.success, false);
    assert.match(r.error!.issues[0]!.message, /cannot be turned off/);
  });
});

describe('SettingsStore.open', () => {
  test('a missing file gives defaults and writes nothing', async () => {
    const store = await SettingsStore.open(file);
    assert.deepEqual(store.current, defaultSettings());
    assert.equal(store.problem, undefined);
    assert.deepEqual(await readdir(dir), []);
  });

  test('a valid file is read, missing fields defaulted', async () => {
    await writeFile(file, JSON.stringify({ serverUrl: 'http://127.0.0.1:8080', theme: 'dark', notifications: { freezes: false } }));
    const store = await SettingsStore.open(file);
    assert.equal(store.current.serverUrl, 'http://127.0.0.1:8080');
    assert.equal(store.current.theme, 'dark');
    assert.equal(store.current.notifications.freezes, false);
    assert.equal(store.current.notifications.enabled, true);
    assert.equal(store.current.diffPrefetch.budgetMiB, 256);
  });

  test('a corrupt file is moved aside, defaults used, the problem reported', async () => {
    await writeFile(file, '{"theme": "dark",');
    const store = await SettingsStore.open(file, { now: FIXED });
    assert.deepEqual(store.current, defaultSettings());
    const moved = `${file}.invalid-2026-11-23T06-25-09-123Z`;
    assert.equal(store.problem?.movedTo, moved);
    assert.match(store.problem!.message, /not valid JSON/);
    assert.equal(await readFile(moved, 'utf8'), '{"theme": "dark",');
    assert.deepEqual(await readdir(dir), [path.basename(moved)]);
  });

  test('an invalid file is moved aside with a message naming the field', async () => {
    await writeFile(file, JSON.stringify({ theme: 'dark', notifications: { coalesceWindowMs: -5 } }));
    const store = await SettingsStore.open(file, { now: FIXED });
    assert.deepEqual(store.current, defaultSettings());
    assert.equal(store.problem?.issues[0]?.field, 'notifications.coalesceWindowMs');
    assert.match(store.problem!.message, /notifications\.coalesceWindowMs: .*moved to .*invalid-2026/);
  });

  test('a file whose top level is not an object is invalid', async () => {
    await writeFile(file, '[1,2]');
    const store = await SettingsStore.open(file, { now: FIXED });
    assert.equal(store.problem?.issues[0]?.field, '(root)');
  });
});

describe('SettingsStore.update', () => {
  test('merges deeply, writes the file, notifies listeners', async () => {
    const store = await SettingsStore.open(file);
    const seen: unknown[] = [];
    store.onChange((s) => seen.push(s.theme));
    const next = await store.update({ theme: 'light', notifications: { quietHours: { start: '22:00', end: '06:00' } } });
    assert.equal(next.theme, 'light');
    assert.equal(next.notifications.enabled, true);
    assert.deepEqual(next.notifications.quietHours, { start: '22:00', end: '06:00' });
    assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), next);
    assert.deepEqual(seen, ['light']);
    assert.ok(Object.isFrozen(store.current.notifications));
    if (process.platform !== 'win32') assert.equal((await stat(file)).mode & 0o777, 0o600);
    // No temp file left behind.
    assert.deepEqual(await readdir(dir), ['settings.json']);

    const reopened = await SettingsStore.open(file);
    assert.deepEqual(reopened.current, next);
  });

  test('the diff layout is remembered across a restart', async () => {
    const store = await SettingsStore.open(file);
    assert.equal(store.current.diffMode, 'unified');
    await store.update({ diffMode: 'split' });
    assert.equal((await SettingsStore.open(file)).current.diffMode, 'split');
  });

  test('null removes optional fields; setServerUrl(null) removes the server', async () => {
    const store = await SettingsStore.open(file);
    await store.setServerUrl('https://gh.example');
    await store.update({ notifications: { quietHours: { start: '22:00', end: '06:00' } } });
    assert.equal(store.current.serverUrl, 'https://gh.example');
    const next = await store.update({ notifications: { quietHours: null } });
    assert.equal(next.notifications.quietHours, undefined);
    assert.equal(next.serverUrl, 'https://gh.example');
    assert.equal((await store.setServerUrl(null)).serverUrl, undefined);
    assert.equal('serverUrl' in JSON.parse(await readFile(file, 'utf8')), false);
  });

  test('the attack: an update from the page cannot point the stored token at another server', async () => {
    const store = await SettingsStore.open(file);
    await store.setServerUrl('https://gh.example');
    const before = await readFile(file, 'utf8');
    for (const serverUrl of ['https://attacker.example', null]) {
      await assert.rejects(store.update({ serverUrl } as never), (err: unknown) => {
        assert.ok(err instanceof SettingsError);
        assert.equal(err.field, 'serverUrl');
        assert.match(err.message, /unknown setting "serverUrl"/);
        return true;
      });
    }
    assert.equal(store.current.serverUrl, 'https://gh.example');
    assert.equal(await readFile(file, 'utf8'), before);
    await assert.rejects(
      store.setServerUrl('file:///etc/passwd'),
      (err: unknown) => err instanceof SettingsError && err.field === 'serverUrl' && /http/.test(err.message),
    );
  });

  const bad: [string, unknown, string, RegExp][] = [
    ['bad time', { notifications: { quietHours: { start: '25:00', end: '06:00' } } }, 'notifications.quietHours.start', /HH:MM/],
    ['breakGlass off', { notifications: { breakGlass: false } }, 'notifications.breakGlass', /cannot be turned off/],
    ['unknown key', { theem: 'dark' }, 'theem', /unknown setting "theem"/],
    ['unknown nested key', { notifications: { sound: true } }, 'notifications.sound', /unknown setting/],
    ['wrong type', { diffPrefetch: { budgetMiB: '512' } }, 'diffPrefetch.budgetMiB', /number/],
    ['bad theme', { theme: 'neon' }, 'theme', /./],
    ['bad diff mode', { diffMode: 'sideways' }, 'diffMode', /./],
  ];
  for (const [name, patch, field, message] of bad) {
    test(`bad input is refused naming the field, nothing changed: ${name}`, async () => {
      const store = await SettingsStore.open(file);
      await store.update({ theme: 'dark' });
      const before = await readFile(file, 'utf8');
      await assert.rejects(store.update(patch as never), (err: unknown) => {
        assert.ok(err instanceof SettingsError);
        assert.equal(err.field, field);
        assert.match(err.message, message);
        assert.ok(err.message.includes(field));
        return true;
      });
      assert.equal(store.current.theme, 'dark');
      assert.equal(await readFile(file, 'utf8'), before);
    });
  }

  test('refuses what the settings screen refuses, naming the field, and changes nothing', async () => {
    const store = await SettingsStore.open(file);
    await store.update({ notifications: { quietHours: { start: '22:00', end: '06:00' } }, diffPrefetch: { budgetMiB: 512 } });
    const before = await readFile(file, 'utf8');
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ notifications: { quietHours: { start: '09:00', end: '09:00' } } }, 'notifications.quietHours.end', /must differ from the start/],
      [{ diffPrefetch: { budgetMiB: -1 } }, 'diffPrefetch.budgetMiB', /0 MiB or more/],
      [{ diffPrefetch: { budgetMiB: 10_000_000 } }, 'diffPrefetch.budgetMiB', /at most 16384 MiB/],
      [{ diffPrefetch: { budgetMiB: 1.5 } }, 'diffPrefetch.budgetMiB', /whole number/],
    ];
    for (const [patch, field, message] of cases) {
      await assert.rejects(
        store.update(patch),
        (err: unknown) => err instanceof SettingsError && err.field === field && message.test(err.message),
        JSON.stringify(patch),
      );
    }
    await assert.rejects(store.setServerUrl('htp:/gatehouse'), (err: unknown) => err instanceof SettingsError && err.field === 'serverUrl');
    assert.equal(await readFile(file, 'utf8'), before);
    assert.deepEqual(store.current.notifications.quietHours, { start: '22:00', end: '06:00' });
    assert.equal(store.current.diffPrefetch.budgetMiB, 512);
  });

  test('concurrent updates apply in order', async () => {
    const store = await SettingsStore.open(file);
    const results = await Promise.allSettled([
      store.update({ theme: 'dark' }),
      store.update({ theme: 'neon' as never }),
      store.update({ diffPrefetch: { budgetMiB: 64 } }),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.equal(store.current.theme, 'dark');
    assert.equal(store.current.diffPrefetch.budgetMiB, 64);
    assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), store.current);
  });

  test('creates the parent directory', async () => {
    const nested = path.join(dir, 'a', 'b', 'settings.json');
    const store = await SettingsStore.open(nested);
    await store.update({ theme: 'dark' });
    assert.equal(JSON.parse(await readFile(nested, 'utf8')).theme, 'dark');
  });
});

describe('FileSecretStore', () => {
  test('no file → undefined; set / get / clear', async () => {
    const secrets = new FileSecretStore(path.join(dir, 'secrets', 'token'));
    assert.equal(await secrets.get(), undefined);
    await secrets.set('gh_abc123');
    assert.equal(await secrets.get(), 'gh_abc123');
    if (process.platform !== 'win32') {
      assert.equal((await stat(secrets.file)).mode & 0o777, 0o600);
      assert.equal((await stat(path.dirname(secrets.file))).mode & 0o777, 0o700);
    }
    await secrets.set('gh_def456');
    assert.equal(await secrets.get(), 'gh_def456');
    assert.deepEqual(await readdir(path.dirname(secrets.file)), ['token']);
    await secrets.set(undefined);
    assert.equal(await secrets.get(), undefined);
    await secrets.set(undefined); // clearing twice is fine
  });

  test('refuses tokens the server would never accept', async () => {
    const secrets = new FileSecretStore(path.join(dir, 'token'));
    await assert.rejects(secrets.set(''), /invalid API token/);
    await assert.rejects(secrets.set('a b'), /invalid API token/);
    await assert.rejects(secrets.set('x\n'), /invalid API token/);
    assert.equal(await secrets.get(), undefined);
  });

  test('a token file readable by others is narrowed to 0600', { skip: process.platform === 'win32' }, async () => {
    const f = path.join(dir, 'token');
    await writeFile(f, 'gh_abc\n');
    await chmod(f, 0o644);
    const secrets = new FileSecretStore(f);
    assert.equal(await secrets.get(), 'gh_abc');
    assert.equal((await stat(f)).mode & 0o777, 0o600);
  });
});
