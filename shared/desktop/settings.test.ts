// The settings schema is what both the settings screen (beside each field) and the core (as
// invalid_input) refuse: these are the inputs a user can type that must not be saved.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DiffPrefetchSettings, QuietHours, ServerUrl, SettingsPatch, describeIssues } from './settings.ts';

const budget = DiffPrefetchSettings.shape.budgetMiB.unwrap();

test('quiet hours: the same start and end is refused on the end field; wrapping midnight is fine', () => {
  const same = QuietHours.safeParse({ start: '09:00', end: '09:00' });
  assert.equal(same.success, false);
  assert.deepEqual(same.error!.issues[0]!.path, ['end']);
  assert.match(same.error!.issues[0]!.message, /must differ from the start/);
  assert.equal(QuietHours.safeParse({ start: '22:00', end: '07:00' }).success, true);
  assert.equal(QuietHours.safeParse({ start: '9:00', end: '10:00' }).success, false);
  assert.equal(QuietHours.safeParse({ start: '24:00', end: '10:00' }).success, false);
});

test('disk budget: a whole number of MiB from 0 to 16384', () => {
  for (const ok of [0, 64, 256, 16_384]) assert.equal(budget.safeParse(ok).success, true, String(ok));
  const cases: [unknown, RegExp][] = [
    [-1, /0 MiB or more/],
    [16_385, /at most 16384 MiB/],
    [1e12, /at most 16384 MiB/],
    [2.5, /whole number/],
    [Number.NaN, /number of MiB/],
    ['256', /number of MiB/],
  ];
  for (const [value, message] of cases) {
    const r = budget.safeParse(value);
    assert.equal(r.success, false, String(value));
    assert.match(r.error!.issues[0]!.message, message, String(value));
  }
});

test('server URL: http or https only, and a URL', () => {
  assert.equal(ServerUrl.safeParse('https://gatehouse.example.com').success, true);
  assert.equal(ServerUrl.safeParse('http://127.0.0.1:8080').success, true);
  for (const bad of ['gatehouse.example.com', 'htp:/gatehouse', 'ftp://example.com', 'https://', ''])
    assert.equal(ServerUrl.safeParse(bad).success, false, bad);
});

test('a patch names the field it refuses', () => {
  const r = SettingsPatch.safeParse({ notifications: { quietHours: { start: '09:00', end: '09:00' } }, diffPrefetch: { budgetMiB: -5 } });
  assert.equal(r.success, false);
  assert.deepEqual(
    describeIssues(r.error!).map((i) => i.field),
    ['notifications.quietHours.end', 'diffPrefetch.budgetMiB'],
  );
});
