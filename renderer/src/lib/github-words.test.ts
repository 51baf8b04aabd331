import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GITHUB_FORBIDDEN, GITHUB_OFFLINE, githubError, repositoryProblem } from './github-words.ts';

test('a repository is checked as typed with the shared schema: empty and owner/name pass, anything else has its message', () => {
  assert.equal(repositoryProblem(''), undefined);
  assert.equal(repositoryProblem('  '), undefined);
  assert.equal(repositoryProblem('acme/payments'), undefined);
  assert.equal(repositoryProblem(' acme/pay.ments-2 '), undefined);
  for (const bad of ['acme', 'acme/', '/payments', 'ac me/payments', '-acme/payments', 'acme--x/payments', 'acme/pay ments', 'a/b/c']) {
    assert.equal(repositoryProblem(bad), 'must be a repository as owner/name, e.g. acme/payments', bad);
  }
});

test("refusals in words: offline and forbidden say what they mean here, the server's field prefix is dropped", () => {
  assert.equal(githubError({ code: 'offline', message: 'x' }), GITHUB_OFFLINE);
  assert.equal(githubError({ code: 'forbidden', status: 403, message: 'x' }), GITHUB_FORBIDDEN);
  assert.equal(githubError(new Error('projectId: unknown project "prj_x"')), 'unknown project "prj_x"');
  assert.equal(
    githubError(new Error('acme/x is already linked to project Payments: unlink it first')),
    'acme/x is already linked to project Payments: unlink it first',
  );
});
