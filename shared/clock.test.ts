import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClockSpecError, formatClockPin, offsetClock, parseClockPin, pinnedClock, resolveClock, systemClock, type Clock } from './clock.ts';

const fixed =
  (ms: number): Clock =>
  () =>
    new Date(ms);
const REAL = Date.parse('2026-12-02T05:00:00Z');

test('a pin reads its instant at its anchor and runs on from there', () => {
  let real = REAL;
  const { clock, pin } = pinnedClock(parseClockPin('2026-03-10T21:00:00+03:00'), () => new Date(real));
  assert.equal(clock().toISOString(), '2026-03-10T18:00:00.000Z');
  real += 90_000;
  assert.equal(clock().toISOString(), '2026-03-10T18:01:30.000Z');
  assert.equal(pin.anchorMs, REAL);
  assert.equal(formatClockPin(pin), `2026-03-10T18:00:00.000Z@${REAL}`);
});

test('an anchored pin puts every process that reads it on the same time, however late it starts', () => {
  const text = `2026-03-08T01:58:00-08:00@${REAL}`;
  const early = pinnedClock(parseClockPin(text), fixed(REAL + 1_000)).clock;
  const late = pinnedClock(parseClockPin(text), fixed(REAL + 1_000)).clock;
  assert.equal(early().toISOString(), '2026-03-08T09:58:01.000Z');
  assert.equal(late().getTime(), early().getTime());
});

test('bad pins are refused with the flag name and an example', () => {
  for (const bad of [
    '',
    'tomorrow',
    '2026-03-10',
    '2026-03-10T21:00:00',
    '2026-13-40T25:00:00Z',
    '2026-03-10T21:00:00Z@',
    '2026-03-10T21:00:00Z@x',
    '2026-03-10T21:00:00Z@1@2',
  ]) {
    assert.throws(
      () => parseClockPin(bad, 'GATEHOUSE_CLOCK'),
      (err: unknown) =>
        err instanceof ClockSpecError && err.message.startsWith('GATEHOUSE_CLOCK') && err.message.includes(bad === '' ? '""' : bad.split('@')[0]!),
      bad,
    );
  }
});

test('the flag wins over the environment; neither means the machine clock', () => {
  assert.equal(resolveClock(undefined, undefined).clock, systemClock);
  assert.equal(resolveClock(undefined, '  ').clock, systemClock);
  assert.equal(resolveClock('2026-01-01T00:00:00Z@0', '2027-01-01T00:00:00Z@0').pin?.at.toISOString(), '2026-01-01T00:00:00.000Z');
  assert.equal(resolveClock(undefined, '2027-01-01T00:00:00Z@0').pin?.at.toISOString(), '2027-01-01T00:00:00.000Z');
});

test('an offset clock follows the real one at a fixed distance', () => {
  assert.equal(offsetClock(60_000, fixed(REAL))().getTime(), REAL + 60_000);
  assert.equal(offsetClock(0), systemClock);
});

// Time comes from the injected clock: a stray read of the machine's clock makes behaviour depend
// on when the suite runs. Elapsed time is measured with performance.now(), which is fine.
test('nothing but shared/clock.ts reads the wall clock', () => {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const forbidden = [
    new RegExp(['Date', '\\.now\\(\\)'].join('')),
    new RegExp(['new Date', '\\(\\s*\\)'].join('')),
    new RegExp(['(?<![\\w.])Date', '\\(\\)'].join('')),
  ];
  const allowed = new Set(['shared/clock.ts']);
  const offenders: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      if (name === 'node_modules' || name.startsWith('.')) continue;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(ts|svelte)$/.test(name) && !allowed.has(relative(root, path))) {
        readFileSync(path, 'utf8')
          .split('\n')
          .forEach((line, i) => {
            if (forbidden.some((re) => re.test(line))) offenders.push(`${relative(root, path)}:${i + 1}: ${line.trim()}`);
          });
      }
    }
  };
  for (const dir of ['shared', 'server', 'electron', 'renderer/src', 'test', 'bench', 'scripts']) walk(join(root, dir));
  for (const file of ['playwright.config.ts', 'electron-builder.ts']) {
    if (forbidden.some((re) => re.test(readFileSync(join(root, file), 'utf8')))) offenders.push(file);
  }
  assert.deepEqual(offenders, [], 'read time from the injected clock (shared/clock.ts), or performance.now() for elapsed time');
});
