import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BODY_MAX, TITLE_MAX, notificationText } from './plain-text.ts';

test('attack: markup for libnotify (<a href>, <img>, <b>, entities) → plain text, no tag or entity left', () => {
  const body = notificationText('ship <b>now</b> <a href="https://evil.example/x">click</a> <img src="file:///etc/passwd"> &lt;i&gt; &amp;', 'body');
  assert.equal(body, 'ship now click ＆lt;i＆gt; ＆amp;');
  assert.doesNotMatch(body, /[<>&]/);
  assert.doesNotMatch(notificationText('cut off <img src=x onerror=alert(1)', 'body'), /[<>]|img/);
  assert.equal(notificationText('a < b and c > d', 'body'), 'a ‹ b and c › d');
});

test('attack: control characters and bidi overrides that forge or reorder the text → removed', () => {
  assert.equal(notificationText('Rick\u0000\u0007\u001b[31m: deploy', 'title'), 'Rick[31m: deploy');
  assert.equal(notificationText('approve \u202ecod.exe\u202c now', 'body'), 'approve cod.exe now');
  assert.equal(notificationText('x\u2066y\u2069z\u200f\ufeff', 'body'), 'xyz');
  assert.equal(notificationText('lone \ud800 surrogate', 'body'), 'lone \ufffd surrogate');
});

test('titles are one line; bodies keep a few lines, blank runs collapsed', () => {
  assert.equal(notificationText('line one\r\nline two\u2028three', 'title'), 'line one line two three');
  assert.equal(notificationText('a\n\n\n\nb\tc', 'body'), 'a\n\nb c');
  const many = notificationText(Array.from({ length: 20 }, (_, i) => `l${i}`).join('\n'), 'body');
  assert.equal(many.split('\n').length, 8);
  assert.ok(many.endsWith('…'));
});

test('attack: a 100 kB justification → capped (code points, never half a surrogate pair)', () => {
  const title = notificationText('🚀'.repeat(10_000), 'title');
  assert.equal([...title].length, TITLE_MAX);
  assert.ok(title.endsWith('…'));
  assert.doesNotMatch(title, /\p{Cs}/u);
  const body = notificationText('x'.repeat(100_000), 'body');
  assert.equal([...body].length, BODY_MAX);
  assert.equal(notificationText('short and sweet', 'body'), 'short and sweet');
});
