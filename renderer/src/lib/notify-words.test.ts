import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CreateChannelBody, NOTIFY_EVENTS } from '../../../shared/schemas/index.ts';
import { EVENT_WORDS, NOTIFY_OFFLINE, channelProblems, destination, eventLabel, filterWords, notifyError, parseRecipients } from './notify-words.ts';

test('every event has words; a test-send reads as Test; an unknown event as itself', () => {
  for (const e of NOTIFY_EVENTS) assert.ok(EVENT_WORDS[e].label && EVENT_WORDS[e].hint, e);
  assert.equal(eventLabel('channel.test'), 'Test');
  assert.equal(eventLabel('request.pending'), 'Request waiting');
  assert.equal(eventLabel('something.new'), 'something.new');
});

test("the schema's issues land at their fields, a recipient's with its address; the first per field wins", () => {
  const to = ['ops@example.com', 'not-an-address'];
  const parsed = CreateChannelBody.safeParse({ kind: 'email', name: ' ', to, events: [] });
  assert.equal(parsed.success, false);
  const at = channelProblems(parsed.error!.issues, to);
  assert.deepEqual(Object.keys(at).sort(), ['events', 'name', 'to']);
  assert.match(at.to!, /^“not-an-address”: /);
  assert.equal(at.events, 'name at least one event');

  const kind = CreateChannelBody.safeParse({ kind: 'slack', name: 'Deploys', events: ['request.pending'], secret: 'x'.repeat(20) });
  const kindAt = channelProblems(kind.error!.issues);
  assert.equal(kindAt.url, 'a slack channel needs a url');
  assert.equal(kindAt.secret, 'only a webhook channel has a secret');

  // The server's issues come as dotted paths; what names no field is the form's.
  assert.deepEqual(
    channelProblems(
      [
        { path: 'to.1', message: 'Invalid email address' },
        { path: '', message: 'invalid body' },
      ],
      to,
    ),
    { to: '“not-an-address”: Invalid email address', form: 'invalid body' },
  );
});

test('refusals in words: offline and forbidden say what they mean here', () => {
  assert.equal(notifyError({ code: 'offline', message: 'this needs the server' }), NOTIFY_OFFLINE);
  assert.match(notifyError({ code: 'forbidden', status: 403, message: 'only admins' }), /^Only owners and admins/);
  assert.equal(notifyError(new Error('unknown project prj_x')), 'unknown project prj_x');
});

test('where a channel sends, its filters, and addresses typed in a box', () => {
  const base = { id: 'ch_1', name: 'x', events: [], createdAt: '2026-03-10T08:00:00.000Z', updatedAt: '2026-03-10T08:00:00.000Z' };
  assert.equal(destination({ ...base, kind: 'email' }), 'the people concerned');
  assert.equal(destination({ ...base, kind: 'email', to: ['a@example.com', 'b@example.com'] }), 'a@example.com, b@example.com');
  assert.equal(destination({ ...base, kind: 'slack', url: 'https://hooks.slack.com/…' }), 'https://hooks.slack.com/…');
  const names: Record<string, string> = { prj_1: 'payments', env_1: 'production' };
  assert.equal(
    filterWords({}, (id) => names[id] ?? id),
    'all projects · all environments',
  );
  assert.equal(
    filterWords({ projectIds: ['prj_1'], environmentIds: ['env_1'] }, (id) => names[id] ?? id),
    'payments · production',
  );
  assert.deepEqual(parseRecipients(' a@example.com, b@example.com\n\na@example.com;c@example.com '), ['a@example.com', 'b@example.com', 'c@example.com']);
});
