// Times as the console writes them: instants and zones are pinned here, never the machine's.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { age, ago, createConflictWords, dateTime, dayLabel, exactTime, policyWindow, relative, zoneCity } from './format.ts';

const T = Date.parse('2026-03-10T18:04:00Z'); // Tue 21:04 in Istanbul

describe('ago', () => {
  test('an instant ahead of the console clock reads "just now", never "in 5 seconds"', () => {
    assert.equal(ago('2026-03-10T18:04:05Z', T), 'just now');
    assert.equal(ago('2026-03-10T19:04:00Z', T), 'just now');
  });
  test('the past in words', () => {
    assert.equal(ago('2026-03-10T18:04:00Z', T), 'just now');
    assert.equal(ago('2026-03-10T18:03:01Z', T), 'just now');
    assert.equal(ago('2026-03-10T18:03:00Z', T), '1 minute ago');
    assert.equal(ago('2026-03-10T17:00:00Z', T), '1 hour ago');
    assert.equal(ago('2026-03-09T17:00:00Z', T), '25 hours ago');
    assert.equal(ago('2026-03-01T17:00:00Z', T), '9 days ago');
  });
});

describe('relative', () => {
  test('deadlines either side of now', () => {
    assert.equal(relative('2026-03-10T21:04:00Z', T), 'in 3 hours');
    assert.equal(relative('2026-03-10T18:04:30Z', T), 'in under a minute');
    assert.equal(relative('2026-03-10T18:03:50Z', T), 'just now');
    assert.equal(relative('2026-03-10T17:04:00Z', T), '1 hour ago');
  });
});

describe('age', () => {
  test('compact, and clamped at now', () => {
    assert.equal(age('2026-03-10T18:05:00Z', T), 'now');
    assert.equal(age('2026-03-10T17:59:00Z', T), '5m');
  });
});

describe('exact times carry their zone', () => {
  test('in a named zone: weekday, date, 24-hour time, offset and zone name', () => {
    assert.equal(exactTime('2026-03-10T18:04:00Z', 'Europe/Istanbul'), 'Tue 10 Mar 2026, 21:04 UTC+3 (Europe/Istanbul)');
    assert.equal(dateTime('2026-03-10T18:04:00Z', 'Europe/Istanbul'), '10 Mar 2026, 21:04 UTC+3');
  });
  test('UTC is not named twice', () => {
    assert.equal(exactTime('2026-03-10T18:04:00Z', 'UTC'), 'Tue 10 Mar 2026, 18:04 UTC');
  });
  test('the date rolls over with the zone, and half-hour offsets are written out', () => {
    assert.equal(exactTime('2026-03-10T22:30:00Z', 'Asia/Kolkata'), 'Wed 11 Mar 2026, 04:00 UTC+5:30 (Asia/Kolkata)');
    assert.equal(exactTime('2026-03-10T03:00:00Z', 'America/Los_Angeles'), 'Mon 9 Mar 2026, 20:00 UTC−7 (America/Los_Angeles)');
  });
  test('Los Angeles on either side of its DST change', () => {
    assert.equal(dateTime('2026-03-08T09:59:00Z', 'America/Los_Angeles'), '8 Mar 2026, 01:59 UTC−8');
    assert.equal(dateTime('2026-03-08T10:00:00Z', 'America/Los_Angeles'), '8 Mar 2026, 03:00 UTC−7');
  });
});

describe('dayLabel', () => {
  test('a calendar day reads the same in every zone', () => {
    assert.equal(dayLabel('2026-11-02'), '2 Nov');
    assert.equal(dayLabel('2026-12-31'), '31 Dec');
  });
});

describe('policyWindow', () => {
  const offHours = { startHour: 18, endHour: 9, weekdays: ['saturday', 'sunday'], timezone: 'Europe/Istanbul' };
  test("the demo's off-hours gate in Istanbul and in the viewer's zone", () => {
    assert.equal(policyWindow(offHours, T, 'UTC'), '18:00–09:00 and weekends, Istanbul time (15:00–06:00 your time, UTC)');
    assert.equal(policyWindow(offHours, T, 'Asia/Kolkata'), '18:00–09:00 and weekends, Istanbul time (20:30–11:30 your time, Kolkata)');
    assert.equal(policyWindow(offHours, T, 'Europe/Istanbul'), '18:00–09:00 and weekends, Istanbul time (the same in your time, Istanbul)');
  });
  test('the offset is the one of the day shown: Los Angeles before and after DST', () => {
    assert.equal(
      policyWindow(offHours, Date.parse('2026-03-07T12:00:00Z'), 'America/Los_Angeles'),
      '18:00–09:00 and weekends, Istanbul time (07:00–22:00 your time, Los Angeles)',
    );
    assert.equal(
      policyWindow(offHours, Date.parse('2026-03-09T12:00:00Z'), 'America/Los_Angeles'),
      '18:00–09:00 and weekends, Istanbul time (08:00–23:00 your time, Los Angeles)',
    );
  });
  test('weekdays alone, hours alone, and no window at all', () => {
    assert.equal(policyWindow({ weekdays: ['monday', 'friday'], timezone: 'Europe/Istanbul' }, T, 'UTC'), 'Mon, Fri, Istanbul time (UTC+3; you are on UTC)');
    assert.equal(policyWindow({ startHour: 9, endHour: 17 }, T, 'Europe/Istanbul'), '09:00–17:00, UTC (12:00–20:00 your time, Istanbul)');
    assert.equal(policyWindow({}, T, 'UTC'), undefined);
    assert.equal(policyWindow({ startHour: 9, endHour: 9 }, T, 'UTC'), undefined);
  });
  test('zone names read as cities', () => {
    assert.equal(zoneCity('America/Los_Angeles'), 'Los Angeles');
    assert.equal(zoneCity('UTC'), 'UTC');
  });
});

describe('conflicts in words', () => {
  test('conflicts of a queued filing', () => {
    assert.equal(
      createConflictWords({ status: 423, code: 'environment_locked', message: 'Environment "p" is locked.' }),
      'Not filed: Environment "p" is locked.',
    );
    assert.match(createConflictWords({ status: 422, code: 'policy_violations', message: 'Policy "X" requires a reason (justification)' }), /Give a reason/);
  });
});
