import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Conditions } from '../schemas/index.ts';
import { applyingIntervals, hasTimePart, localDayStart, whenStrip } from './when.ts';

const ms = (iso: string) => Date.parse(iso);
const iso = (t: number) => new Date(t).toISOString();
const H = 3_600_000;
const EVENINGS_ISTANBUL: Conditions = { startHour: 18, endHour: 9, timezone: 'Europe/Istanbul' };
const EVENINGS_LA: Conditions = { startHour: 18, endHour: 9, timezone: 'America/Los_Angeles' };
// Hours of one strip day that apply fully, in order.
const applying = (day: { hours: { hour: number; applies: number }[] }) => day.hours.filter((h) => h.applies === 1).map((h) => h.hour);

describe('applyingIntervals', () => {
  it('Istanbul (no DST): 18 → 9 wraps past midnight, 15:00–06:00 UTC every night', () => {
    const from = ms('2026-03-10T08:00:00Z'); // Tuesday 11:00 in Istanbul
    const got = applyingIntervals(EVENINGS_ISTANBUL, from, 7);
    assert.equal(got.length, 7);
    assert.deepEqual(
      got.map((i) => [iso(i.from), iso(i.to)]),
      [10, 11, 12, 13, 14, 15, 16].map((d) => [`2026-03-${d}T15:00:00.000Z`, `2026-03-${d + 1}T06:00:00.000Z`]),
    );
  });

  it('a window that holds at the start begins at the start (rounded to its quarter hour) and the last one ends at the end', () => {
    const from = ms('2026-03-10T20:07:00Z'); // 23:07 in Istanbul
    const got = applyingIntervals(EVENINGS_ISTANBUL, from, 1);
    assert.deepEqual(
      got.map((i) => [iso(i.from), iso(i.to)]),
      [
        ['2026-03-10T20:00:00.000Z', '2026-03-11T06:00:00.000Z'],
        ['2026-03-11T15:00:00.000Z', '2026-03-11T20:07:00.000Z'],
      ],
    );
  });

  it('Los Angeles across the spring-forward change (2026-03-08): the offset moves from −8 to −7', () => {
    const got = applyingIntervals(EVENINGS_LA, ms('2026-03-07T20:00:00Z'), 2);
    // Saturday 18:00 PST = 02:00Z; Sunday 09:00 PDT = 16:00Z (a 14-hour night: 02:00 never happens).
    assert.deepEqual([iso(got[0]!.from), iso(got[0]!.to)], ['2026-03-08T02:00:00.000Z', '2026-03-08T16:00:00.000Z']);
    // Sunday 18:00 PDT = 01:00Z Monday.
    assert.equal(iso(got[1]!.from), '2026-03-09T01:00:00.000Z');
  });

  it('Los Angeles across the fall-back change (2026-11-01): a 16-hour night', () => {
    const got = applyingIntervals(EVENINGS_LA, ms('2026-10-31T19:00:00Z'), 2);
    // Saturday 18:00 PDT = 01:00Z; Sunday 09:00 PST = 17:00Z.
    assert.deepEqual([iso(got[0]!.from), iso(got[0]!.to)], ['2026-11-01T01:00:00.000Z', '2026-11-01T17:00:00.000Z']);
    assert.equal(got[0]!.to - got[0]!.from, 16 * H);
  });

  it('start == end is the whole day: one interval over the whole span', () => {
    const from = ms('2026-03-10T08:00:00Z');
    assert.deepEqual(applyingIntervals({ startHour: 5, endHour: 5, timezone: 'Europe/Istanbul' }, from, 7), [{ from, to: from + 7 * 24 * H }]);
  });

  it('weekdays and hours are either: a weekend is one interval from Friday 18:00 to Monday 09:00', () => {
    const c: Conditions = { ...EVENINGS_ISTANBUL, weekdays: ['saturday', 'sunday'] };
    const got = applyingIntervals(c, ms('2026-03-13T08:00:00Z'), 4); // Friday 11:00 Istanbul
    assert.deepEqual([iso(got[0]!.from), iso(got[0]!.to)], ['2026-03-13T15:00:00.000Z', '2026-03-16T06:00:00.000Z']);
  });

  it('environments do not affect the time part; no time part holds always', () => {
    const from = ms('2026-03-10T08:00:00Z');
    assert.deepEqual(applyingIntervals({ environments: ['production'] }, from, 1), [{ from, to: from + 24 * H }]);
    assert.equal(hasTimePart({ environments: ['production'] }), false);
    assert.equal(hasTimePart({ weekdays: [] }), false);
    assert.equal(hasTimePart(EVENINGS_ISTANBUL), true);
    assert.deepEqual(applyingIntervals({ ...EVENINGS_ISTANBUL, environments: ['production'] }, from, 1), applyingIntervals(EVENINGS_ISTANBUL, from, 1));
  });

  it('refuses a bad span or instant', () => {
    assert.throws(() => applyingIntervals({}, Number.NaN, 7), /fromMs/);
    assert.throws(() => applyingIntervals({}, 0, 0), /days/);
    assert.throws(() => applyingIntervals({}, 0, 1.5), /days/);
  });
});

describe('whenStrip', () => {
  it('Istanbul in its own zone and in UTC: the same instants, read on two clocks', () => {
    const now = ms('2026-03-10T08:00:00Z');
    const own = whenStrip(EVENINGS_ISTANBUL, now, 7, 'Europe/Istanbul');
    assert.equal(own.length, 7);
    assert.equal(iso(own[0]!.from), '2026-03-09T21:00:00.000Z'); // Istanbul midnight
    assert.equal(own[0]!.weekday, 2); // Tuesday
    for (const d of own) {
      assert.equal(d.hours.length, 24);
      assert.deepEqual(applying(d), [0, 1, 2, 3, 4, 5, 6, 7, 8, 18, 19, 20, 21, 22, 23]);
    }
    const utc = whenStrip(EVENINGS_ISTANBUL, now, 7, 'UTC');
    assert.equal(iso(utc[0]!.from), '2026-03-10T00:00:00.000Z');
    assert.deepEqual(applying(utc[0]!), [0, 1, 2, 3, 4, 5, 15, 16, 17, 18, 19, 20, 21, 22, 23]);
    // hours before now are past; the one holding now is not
    assert.equal(own[0]!.hours[10]!.past, true);
    assert.equal(own[0]!.hours[11]!.past, false);
  });

  it('Los Angeles spring forward: Sunday 8 March has 23 hours and no 02:00', () => {
    const days = whenStrip(EVENINGS_LA, ms('2026-03-07T20:00:00Z'), 3, 'America/Los_Angeles');
    assert.deepEqual(
      days.map((d) => d.hours.length),
      [24, 23, 24],
    );
    const sunday = days[1]!;
    assert.equal(sunday.weekday, 0);
    assert.ok(!sunday.hours.some((h) => h.hour === 2));
    assert.deepEqual(applying(sunday), [0, 1, 3, 4, 5, 6, 7, 8, 18, 19, 20, 21, 22, 23]);
  });

  it('Los Angeles fall back: Sunday 1 November has 25 hours, 01:00 twice', () => {
    const days = whenStrip(EVENINGS_LA, ms('2026-10-31T19:00:00Z'), 3, 'America/Los_Angeles');
    assert.deepEqual(
      days.map((d) => d.hours.length),
      [24, 25, 24],
    );
    const sunday = days[1]!;
    assert.deepEqual(
      sunday.hours.slice(0, 4).map((h) => h.hour),
      [0, 1, 1, 2],
    );
    assert.deepEqual(applying(sunday), [0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 18, 19, 20, 21, 22, 23]);
    assert.equal(localDayStart('America/Los_Angeles', ms('2026-11-01T20:00:00Z')), ms('2026-11-01T07:00:00Z'));
  });

  it('a viewer half an hour off the policy sees the edge hours half filled', () => {
    const days = whenStrip(EVENINGS_ISTANBUL, ms('2026-03-10T08:00:00Z'), 1, 'Asia/Kolkata');
    // Istanbul 18:00 is 20:30 in Kolkata, 09:00 is 11:30.
    const byHour = new Map(days[0]!.hours.map((h) => [h.hour, h.applies]));
    assert.equal(byHour.get(20), 0.5);
    assert.equal(byHour.get(21), 1);
    assert.equal(byHour.get(11), 0.5);
    assert.equal(byHour.get(12), 0);
  });

  it('start == end fills every hour; an unknown zone to draw in is refused', () => {
    const days = whenStrip({ startHour: 9, endHour: 9, timezone: 'Europe/Istanbul' }, ms('2026-03-10T08:00:00Z'), 7, 'UTC');
    assert.ok(days.every((d) => d.hours.every((h) => h.applies === 1)));
    assert.throws(() => whenStrip({}, 0, 7, 'Mars/Olympus_Mons'), /unknown time zone/);
    assert.throws(() => whenStrip({}, 0, 0, 'UTC'), /days/);
  });
});
