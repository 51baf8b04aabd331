import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Conditions } from '../schemas/index.ts';
import { conditionsHold } from './index.ts';
import { hourInWindow } from './conditions.ts';
import { fields, localClock, readLocal } from './local-clock.ts';

const at = (iso: string) => new Date(iso);
// The demo's "Off-Hours Change Gate".
const OFF_HOURS: Conditions = {
  startHour: 18,
  endHour: 9,
  weekdays: ['saturday', 'sunday'],
  timezone: 'Europe/Istanbul',
  requireReason: true,
};

describe('conditionsHold: no conditions', () => {
  it('always applies, with or without an environment', () => {
    assert.equal(conditionsHold({}, undefined, at('2024-06-03T10:00:00Z')), true);
    assert.equal(conditionsHold({}, 'staging', at('2024-06-08T03:00:00Z')), true);
  });

  it('requireReason alone does not restrict when the policy applies', () => {
    assert.equal(conditionsHold({ requireReason: true }, undefined, at('2024-06-03T10:00:00Z')), true);
    assert.equal(conditionsHold({ requireReason: false }, 'production', at('2024-06-03T10:00:00Z')), true);
  });
});

describe('conditionsHold: environments', () => {
  const c: Conditions = { environments: ['production', 'staging'] };
  const now = at('2024-06-03T10:00:00Z');

  it('applies to a listed environment name only', () => {
    assert.equal(conditionsHold(c, 'production', now), true);
    assert.equal(conditionsHold(c, 'staging', now), true);
    assert.equal(conditionsHold(c, 'development', now), false);
  });

  it('matches the name exactly', () => {
    assert.equal(conditionsHold(c, 'Production', now), false);
    assert.equal(conditionsHold(c, 'prod', now), false);
  });

  it('does not apply to a request without an environment', () => {
    assert.equal(conditionsHold(c, undefined, now), false);
  });

  it('is AND-ed with the time part', () => {
    const evenings: Conditions = { environments: ['production'], startHour: 18, endHour: 9 };
    assert.equal(conditionsHold(evenings, 'production', at('2024-06-03T20:00:00Z')), true);
    assert.equal(conditionsHold(evenings, 'production', at('2024-06-03T10:00:00Z')), false);
    assert.equal(conditionsHold(evenings, 'staging', at('2024-06-03T20:00:00Z')), false);
  });

  it('an empty list is no condition', () => {
    assert.equal(conditionsHold({ environments: [] }, undefined, now), true);
    assert.equal(conditionsHold({ environments: [] }, 'anything', now), true);
  });
});

describe('conditionsHold: hour window [startHour, endHour)', () => {
  const evenings: Conditions = { startHour: 18, endHour: 9 };
  const cases: [string, boolean][] = [
    ['2024-06-03T17:59:59Z', false],
    ['2024-06-03T18:00:00Z', true],
    ['2024-06-03T23:00:00Z', true],
    ['2024-06-04T00:00:00Z', true],
    ['2024-06-04T08:59:59Z', true],
    ['2024-06-04T09:00:00Z', false],
    ['2024-06-04T12:00:00Z', false],
  ];
  for (const [iso, expected] of cases) {
    it(`18→9 wraps past midnight: ${iso.slice(11, 19)} UTC → ${expected}`, () => {
      assert.equal(conditionsHold(evenings, undefined, at(iso)), expected);
    });
  }

  it('a plain window 9→17 is 09:00–16:59', () => {
    const business: Conditions = { startHour: 9, endHour: 17 };
    assert.equal(conditionsHold(business, undefined, at('2024-06-03T08:59:59Z')), false);
    assert.equal(conditionsHold(business, undefined, at('2024-06-03T09:00:00Z')), true);
    assert.equal(conditionsHold(business, undefined, at('2024-06-03T16:59:59Z')), true);
    assert.equal(conditionsHold(business, undefined, at('2024-06-03T17:00:00Z')), false);
  });

  it('start === end is the whole day', () => {
    for (const h of [0, 5, 12, 23]) {
      assert.equal(conditionsHold({ startHour: 7, endHour: 7 }, undefined, at(`2024-06-03T${String(h).padStart(2, '0')}:30:00Z`)), true);
    }
    assert.equal(hourInWindow(3, 0, 0), true);
    assert.equal(hourInWindow(3, 24, 24), true);
  });

  it('endHour 24 runs to midnight; startHour 0 from midnight', () => {
    assert.equal(hourInWindow(23, 20, 24), true);
    assert.equal(hourInWindow(19, 20, 24), false);
    assert.equal(hourInWindow(0, 20, 24), false);
    assert.equal(hourInWindow(0, 0, 6), true);
    assert.equal(hourInWindow(6, 0, 6), false);
  });

  it('hourInWindow agrees with the definition for every start, end and hour', () => {
    for (let s = 0; s <= 24; s++) {
      for (let e = 0; e <= 24; e++) {
        for (let h = 0; h < 24; h++) {
          const expected = s === e ? true : s < e ? s <= h && h < e : h >= s || h < e;
          assert.equal(hourInWindow(h, s, e), expected, `${s}→${e} at ${h}`);
        }
      }
    }
  });
});

describe('conditionsHold: weekdays', () => {
  const weekend: Conditions = { weekdays: ['saturday', 'sunday'] };

  it('holds on a listed day only (UTC by default)', () => {
    assert.equal(conditionsHold(weekend, undefined, at('2024-06-08T12:00:00Z')), true); // Saturday
    assert.equal(conditionsHold(weekend, undefined, at('2024-06-09T23:59:59Z')), true); // Sunday
    assert.equal(conditionsHold(weekend, undefined, at('2024-06-10T00:00:00Z')), false); // Monday
    assert.equal(conditionsHold(weekend, undefined, at('2024-06-07T23:59:59Z')), false); // Friday
  });

  it('an empty list is no condition', () => {
    assert.equal(conditionsHold({ weekdays: [] }, undefined, at('2024-06-05T12:00:00Z')), true);
  });

  it('every day name maps to its day', () => {
    const days = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
    // 2024-06-02 is a Sunday.
    days.forEach((day, i) => {
      const date = at(`2024-06-0${2 + i}T12:00:00Z`);
      assert.equal(conditionsHold({ weekdays: [day] }, undefined, date), true, day);
      assert.equal(conditionsHold({ weekdays: [days[(i + 1) % 7]!] }, undefined, date), false, `${day} vs next`);
    });
  });
});

describe('conditionsHold: time zones', () => {
  it('reads the hour window in Europe/Istanbul (UTC+3), not UTC', () => {
    const c: Conditions = { startHour: 18, endHour: 9, timezone: 'Europe/Istanbul' };
    // Monday 2024-06-03 in Istanbul.
    assert.equal(conditionsHold(c, undefined, at('2024-06-03T14:59:00Z')), false); // 17:59 local
    assert.equal(conditionsHold(c, undefined, at('2024-06-03T15:00:00Z')), true); // 18:00 local, 15 UTC
    assert.equal(conditionsHold(c, undefined, at('2024-06-03T20:00:00Z')), true); // 23:00 local
    assert.equal(conditionsHold(c, undefined, at('2024-06-04T05:59:00Z')), true); // 08:59 local
    assert.equal(conditionsHold(c, undefined, at('2024-06-04T06:00:00Z')), false); // 09:00 local, 06 UTC
    // The same instants read in UTC give the opposite answers.
    assert.equal(conditionsHold({ startHour: 18, endHour: 9 }, undefined, at('2024-06-03T15:00:00Z')), false);
    assert.equal(conditionsHold({ startHour: 18, endHour: 9 }, undefined, at('2024-06-04T06:00:00Z')), true);
  });

  it('reads the weekday in the policy zone across a day boundary (America/Los_Angeles)', () => {
    const sunday: Conditions = { weekdays: ['sunday'], timezone: 'America/Los_Angeles' };
    // Monday 03:00 UTC is Sunday 20:00 in Los Angeles (PDT, UTC−7).
    assert.equal(conditionsHold(sunday, undefined, at('2024-06-03T03:00:00Z')), true);
    assert.equal(conditionsHold({ weekdays: ['sunday'] }, undefined, at('2024-06-03T03:00:00Z')), false);
    assert.equal(conditionsHold({ weekdays: ['monday'], timezone: 'America/Los_Angeles' }, undefined, at('2024-06-03T03:00:00Z')), false);
    // Monday 07:00 UTC is Monday 00:00 in Los Angeles.
    assert.equal(conditionsHold(sunday, undefined, at('2024-06-03T06:59:59Z')), true);
    assert.equal(conditionsHold(sunday, undefined, at('2024-06-03T07:00:00Z')), false);
  });

  it('reads the weekday in Istanbul ahead of UTC', () => {
    const saturday: Conditions = { weekdays: ['saturday'], timezone: 'Europe/Istanbul' };
    // Friday 22:00 UTC is Saturday 01:00 in Istanbul.
    assert.equal(conditionsHold(saturday, undefined, at('2024-06-07T22:00:00Z')), true);
    assert.equal(conditionsHold(saturday, undefined, at('2024-06-07T20:59:59Z')), false);
  });

  it('follows daylight saving time (Los Angeles springs forward 2024-03-10 02:00 → 03:00)', () => {
    const three: Conditions = { startHour: 3, endHour: 4, timezone: 'America/Los_Angeles' };
    assert.equal(conditionsHold(three, undefined, at('2024-03-10T09:59:59Z')), false); // 01:59 PST
    assert.equal(conditionsHold(three, undefined, at('2024-03-10T10:00:00Z')), true); // 03:00 PDT
    // A day earlier, 10:00 UTC was 02:00 PST.
    assert.equal(conditionsHold(three, undefined, at('2024-03-09T10:00:00Z')), false);
    assert.equal(conditionsHold(three, undefined, at('2024-03-09T11:00:00Z')), true);
  });

  it('handles half-hour offsets (Asia/Kolkata, UTC+5:30) at the minute', () => {
    const evenings: Conditions = { startHour: 18, endHour: 9, timezone: 'Asia/Kolkata' };
    assert.equal(conditionsHold(evenings, undefined, at('2024-06-03T12:29:59.999Z')), false); // 17:59:59
    assert.equal(conditionsHold(evenings, undefined, at('2024-06-03T12:30:00Z')), true); // 18:00
    assert.equal(conditionsHold(evenings, undefined, at('2024-06-03T12:29:00Z')), false); // back in time
  });

  it('UTC spelled out behaves as the default', () => {
    const c: Conditions = { startHour: 18, endHour: 9, timezone: 'UTC' };
    assert.equal(conditionsHold(c, undefined, at('2024-06-03T17:59:00Z')), false);
    assert.equal(conditionsHold(c, undefined, at('2024-06-03T18:00:00Z')), true);
    assert.equal(conditionsHold({ ...c, timezone: 'Etc/UTC' }, undefined, at('2024-06-03T18:00:00Z')), true);
  });

  it('a zone unknown to this runtime keeps the policy on (fails closed)', () => {
    const c: Conditions = { startHour: 18, endHour: 9, weekdays: ['sunday'], timezone: 'Mars/Olympus_Mons' };
    assert.equal(conditionsHold(c, undefined, at('2024-06-03T12:00:00Z')), true);
    assert.equal(conditionsHold({ ...c, environments: ['production'] }, 'staging', at('2024-06-03T12:00:00Z')), false);
  });

  it('refuses an invalid `now` instead of guessing', () => {
    assert.throws(() => conditionsHold({ startHour: 1, endHour: 2 }, undefined, new Date(Number.NaN)), RangeError);
  });
});

describe('conditionsHold: weekdays and hours together mean either (the off-hours policy)', () => {
  const cases: [string, string, boolean][] = [
    ['Monday 12:00 Istanbul: neither', '2024-06-03T09:00:00Z', false],
    ['Monday 20:00 Istanbul: evening', '2024-06-03T17:00:00Z', true],
    ['Tuesday 07:00 Istanbul: early morning', '2024-06-04T04:00:00Z', true],
    ['Saturday 12:00 Istanbul: weekend', '2024-06-08T09:00:00Z', true],
    ['Sunday 14:00 Istanbul: weekend', '2024-06-09T11:00:00Z', true],
    ['Friday 17:59 Istanbul: neither', '2024-06-07T14:59:00Z', false],
    ['Friday 23:00 UTC is Saturday 02:00 Istanbul', '2024-06-07T23:00:00Z', true],
  ];
  for (const [label, iso, expected] of cases) {
    it(label, () => assert.equal(conditionsHold(OFF_HOURS, undefined, at(iso)), expected));
  }

  it('only hours given: the weekday does not matter', () => {
    const c: Conditions = { startHour: 18, endHour: 9 };
    assert.equal(conditionsHold(c, undefined, at('2024-06-08T12:00:00Z')), false); // Saturday noon
  });

  it('only weekdays given: the hour does not matter', () => {
    const c: Conditions = { weekdays: ['saturday'] };
    assert.equal(conditionsHold(c, undefined, at('2024-06-03T23:00:00Z')), false); // Monday night
    assert.equal(conditionsHold(c, undefined, at('2024-06-08T12:00:00Z')), true);
  });
});

describe('localClock', () => {
  const ZONES = [
    'Europe/Istanbul',
    'America/Los_Angeles',
    'Asia/Kolkata',
    'Asia/Kathmandu',
    'Australia/Lord_Howe',
    'Pacific/Chatham',
    'America/St_Johns',
    'Europe/London',
  ];
  const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

  function reference(zone: string, ms: number): { weekday: number; hour: number } {
    const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', weekday: 'long', hour: 'numeric' }).formatToParts(ms);
    return {
      weekday: DAYS.indexOf(parts.find((p) => p.type === 'weekday')!.value),
      hour: Number(parts.find((p) => p.type === 'hour')!.value) % 24,
    };
  }

  it('matches a fresh Intl formatting, cache and all, around DST changes and odd offsets', () => {
    const base = Date.parse('2024-03-31T00:00:00Z'); // Europe's spring change, Lord Howe's autumn one is Apr 7
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...ZONES), fc.integer({ min: -40 * 86_400_000, max: 40 * 86_400_000 })), { minLength: 1, maxLength: 30 }),
        (steps) => {
          const out = { weekday: -1, hour: -1 };
          for (const [zone, offset] of steps) {
            // Snap half the steps to the minute so neighbouring instants hit the cache.
            const ms = offset % 2 === 0 ? base + offset : base + Math.floor(offset / 60_000) * 60_000 - 1;
            assert.equal(localClock(zone, ms, out), true);
            assert.deepEqual(out, reference(zone, ms), `${zone} ${new Date(ms).toISOString()}`);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is right for a local-mean-time offset with seconds (Istanbul 1850, UTC+1:55:52)', () => {
    // Local midnight falls at 22:04:08 UTC, inside a UTC minute: a per-minute cache would be wrong.
    const out = { weekday: -1, hour: -1 };
    const expected = [
      ['1850-06-03T22:04:00Z', 1, 23],
      ['1850-06-03T22:04:07.999Z', 1, 23],
      ['1850-06-03T22:04:08Z', 2, 0],
      ['1850-06-03T22:04:59Z', 2, 0],
      ['1850-06-03T22:04:01Z', 1, 23],
    ] as const;
    for (const [iso, weekday, hour] of expected) {
      const ms = Date.parse(iso);
      localClock('Europe/Istanbul', ms, out);
      assert.deepEqual(out, { weekday, hour }, iso);
      assert.deepEqual(out, reference('Europe/Istanbul', ms), iso);
    }
  });

  it('keeps zones apart in the cache', () => {
    const out = { weekday: -1, hour: -1 };
    const ms = Date.parse('2024-06-03T03:00:00Z');
    localClock('Europe/Istanbul', ms, out);
    assert.deepEqual(out, { weekday: 1, hour: 6 });
    localClock('America/Los_Angeles', ms, out);
    assert.deepEqual(out, { weekday: 0, hour: 20 });
    localClock('Europe/Istanbul', ms, out);
    assert.deepEqual(out, { weekday: 1, hour: 6 });
  });

  it('agrees with Intl on the old instants too', () => {
    const out = { weekday: -1, hour: -1 };
    for (const iso of ['1850-06-03T22:03:03Z', '1850-06-03T22:03:04Z', '1850-06-03T22:03:05Z', '1850-06-03T22:02:00Z']) {
      const ms = Date.parse(iso);
      localClock('Europe/Istanbul', ms, out);
      assert.deepEqual(out, reference('Europe/Istanbul', ms), iso);
    }
  });

  it('computes UTC without Intl, including before 1970', () => {
    const out = { weekday: -1, hour: -1 };
    for (const iso of ['1969-12-31T23:30:00Z', '1970-01-01T00:00:00Z', '1900-03-01T05:00:00Z', '2024-06-08T13:00:00Z']) {
      const d = new Date(iso);
      localClock(undefined, d.getTime(), out);
      assert.deepEqual(out, { weekday: d.getUTCDay(), hour: d.getUTCHours() }, iso);
    }
  });

  it('falls back to formatToParts when format() is laid out differently', () => {
    const odd = {
      format: () => 'Montag um 18 Uhr',
      formatToParts: () => [
        { type: 'weekday', value: 'Saturday' },
        { type: 'literal', value: ', ' },
        { type: 'hour', value: '24' },
        { type: 'literal', value: ':' },
        { type: 'minute', value: '05' },
        { type: 'literal', value: ':' },
        { type: 'second', value: '09' },
      ],
    } as unknown as Intl.DateTimeFormat;
    readLocal(odd, 0);
    assert.deepEqual(fields, { weekday: 6, hour: 0, second: 9 });
  });
});
