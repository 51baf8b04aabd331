import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamAdmission } from './rate-limits.ts';

test('stream admission: a tenth of a second of burst, then refusals told successive seconds, so the returns come at the pace', () => {
  const a = new StreamAdmission(100); // 10 ms a stream, a burst of 10
  const t0 = 1_000_000;
  const admitted = Array.from({ length: 10 }, () => a.admit(t0));
  assert.deepEqual(admitted, Array(10).fill(undefined), 'the burst is taken');
  // 1,000 more in the same millisecond: 100 a second of return slots, booked in arrival order.
  const told = Array.from({ length: 1000 }, () => a.admit(t0)!);
  assert.ok(told.every((s) => Number.isInteger(s) && s >= 1));
  for (let i = 1; i < told.length; i++) assert.ok(told[i]! >= told[i - 1]!, 'later arrivals are told later');
  const perSecond = new Map<number, number>();
  for (const s of told) perSecond.set(s, (perSecond.get(s) ?? 0) + 1);
  assert.deepEqual([...perSecond.keys()], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.ok(
    [...perSecond.values()].every((n) => n === 100),
    `100 told each second: ${[...perSecond.values()]}`,
  );

  // The bucket refills with time: 50 ms later, 5 streams are taken, the 6th is not.
  const later = Array.from({ length: 6 }, () => a.admit(t0 + 50));
  assert.deepEqual(later.slice(0, 5), Array(5).fill(undefined));
  assert.ok(later[5]! >= 10, 'behind everyone already told');
  // Quiet for a while: the bookings lapse and the full burst is back.
  assert.equal(a.admit(t0 + 60_000), undefined);
  assert.ok(Array.from({ length: 9 }, () => a.admit(t0 + 60_000)).every((r) => r === undefined));
  assert.equal(a.admit(t0 + 60_000), 1);
});

test('stream admission refuses a pace that is not positive', () => {
  for (const bad of [0, -1, Number.NaN]) assert.throws(() => new StreamAdmission(bad), /must be positive/);
});

test('stream admission: a clock set back (a corrected system clock) is neither a debt nor a wait', () => {
  const a = new StreamAdmission(100);
  const t0 = 5_000_000;
  for (let i = 0; i < 10; i++) a.admit(t0);
  assert.equal(a.admit(t0), 1, 'the burst is spent: the next is told to come back');
  // The clock jumps an hour back. A quiet second later (by the new clock) the burst is back, and a
  // refusal is told a second or so, not an hour.
  const back = t0 - 3_600_000;
  assert.equal(a.admit(back), 1, 'no token appeared from the jump');
  const burst = Array.from({ length: 10 }, () => a.admit(back + 1000));
  assert.deepEqual(burst, Array(10).fill(undefined));
  assert.ok(a.admit(back + 1000)! <= 2, 'a refusal waits its turn, not the hour the clock went back');
});
