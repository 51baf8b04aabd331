import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLoopbackHost, serverUrlProblem } from './transport.ts';

test('loopback: 127.0.0.0/8 in any spelling URL accepts, ::1, localhost; nothing else', () => {
  for (const url of [
    'http://127.0.0.1',
    'http://127.255.0.9:1',
    'http://0x7f.1/',
    'http://2130706433/',
    'http://[::1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://LOCALHOST',
    'http://app.localhost',
  ])
    assert.ok(isLoopbackHost(new URL(url).hostname), url);
  for (const url of [
    'http://128.0.0.1',
    'http://10.0.0.1',
    'http://[::2]/',
    'http://[::ffff:10.0.0.1]/',
    'http://localhost.evil.com',
    'http://127.0.0.1.nip.io',
    'http://0.0.0.0',
  ])
    assert.ok(!isLoopbackHost(new URL(url).hostname), url);
});

test('attack: plain http to a remote host → refused with the https URL and the flag to use; https and loopback pass', () => {
  const p = serverUrlProblem('http://gatehouse.example.com:8787/base');
  assert.match(p ?? '', /refusing plain http to gatehouse\.example\.com:8787/);
  assert.match(p ?? '', /https:\/\/gatehouse\.example\.com:8787\/base/);
  assert.match(p ?? '', /--allow-insecure-http/);
  assert.equal(serverUrlProblem('http://gatehouse.example.com', { allowInsecureHttp: true }), undefined);
  assert.equal(serverUrlProblem('https://gatehouse.example.com'), undefined);
  assert.equal(serverUrlProblem('http://127.0.0.1:8787'), undefined);
  assert.match(serverUrlProblem('ftp://x') ?? '', /must be https/);
  assert.match(serverUrlProblem('not a url') ?? '', /is not a URL/);
  // userinfo can't disguise the host
  assert.match(serverUrlProblem('http://127.0.0.1@evil.example/') ?? '', /refusing plain http to evil\.example/);
});
