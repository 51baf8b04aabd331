import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError, parseDuration, parseFlags, parsePort, required, resolveToken } from './args.ts';

test('parseFlags refuses unknown flags and missing values with a UsageError carrying the usage', () => {
  assert.throws(
    () => parseFlags(['--nope'], { data: { type: 'string' } }, 'USAGE'),
    (e: unknown) => e instanceof UsageError && /--nope/.test(e.message) && /USAGE/.test(e.message),
  );
  assert.throws(() => parseFlags(['--data'], { data: { type: 'string' } }, 'USAGE'), UsageError);
  assert.throws(() => parseFlags(['stray'], { data: { type: 'string' } }, 'USAGE'), UsageError);
  assert.deepEqual({ ...parseFlags(['--data', 'x'], { data: { type: 'string' } }, 'U') }, { data: 'x' });
});

test('required names the missing flag', () => {
  assert.throws(() => required({}, 'data', 'U'), /--data is required/);
  assert.throws(() => required({ data: '  ' }, 'data', 'U'), /--data is required/);
  assert.equal(required({ data: 'd' }, 'data', 'U'), 'd');
});

test('ports and durations', () => {
  assert.equal(parsePort('0'), 0);
  assert.equal(parsePort('8787'), 8787);
  for (const bad of ['-1', '65536', 'abc', '80.5', '']) assert.throws(() => parsePort(bad), UsageError);
  assert.equal(parseDuration('90', '--t'), 90_000);
  assert.equal(parseDuration('2s', '--t'), 2000);
  assert.equal(parseDuration('15m', '--t'), 900_000);
  assert.equal(parseDuration('7d', '--t'), 7 * 86_400_000);
  assert.equal(parseDuration('250ms', '--t'), 250);
  for (const bad of ['0', '-5s', '5x', 'soon']) assert.throws(() => parseDuration(bad, '--t'), /--t/);
});

test('resolveToken: --token-file, then GATEHOUSE_TOKEN, then --token with a warning; clear errors', () => {
  const files: Record<string, string> = { good: 'ghs_abc\n', empty: '\n\n', spaced: 'ghs a b\n' };
  const read = (f: string) => {
    if (f in files) return files[f]!;
    throw Object.assign(new Error('nope'), { code: f === 'secret' ? 'EACCES' : 'ENOENT' });
  };
  const warnings: string[] = [];
  const warn = (l: string) => warnings.push(l);
  assert.equal(resolveToken({ 'token-file': 'good' }, { GATEHOUSE_TOKEN: 'env' }, warn, read), 'ghs_abc');
  assert.equal(resolveToken({}, { GATEHOUSE_TOKEN: ' ghs_env ' }, warn, read), 'ghs_env');
  assert.deepEqual(warnings, []);
  assert.equal(resolveToken({ token: 'ghs_arg' }, {}, warn, read), 'ghs_arg');
  assert.match(warnings[0]!, /visible to other users/);
  assert.throws(() => resolveToken({ 'token-file': 'missing' }, {}, warn, read), /cannot read --token-file missing: no such file/);
  assert.throws(() => resolveToken({ 'token-file': 'secret' }, {}, warn, read), /permission denied/);
  assert.throws(() => resolveToken({ 'token-file': 'empty' }, {}, warn, read), /--token-file empty is empty/);
  assert.throws(() => resolveToken({ 'token-file': 'spaced' }, {}, warn, read), /does not hold a token/);
  assert.throws(() => resolveToken({ 'token-file': 'good', token: 'x' }, {}, warn, read), /not both/);
  assert.throws(
    () => resolveToken({}, {}, warn, read),
    (e: unknown) => e instanceof UsageError && /token is required/.test(e.message),
  );
});
