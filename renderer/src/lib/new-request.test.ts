// The New request form's rules: consistent resources, diff files, the cost estimate, the words.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Environment } from '../../../shared/schemas/index.ts';
import { ACTIONS } from '../../../shared/schemas/index.ts';
import { ACTION_CHOICES, countLines, costWords, environmentsFor, parseCost, previewWords, readDiffBytes, resourceOf, sizeWords } from './new-request.ts';

const env = (id: string, projectId: string, clusterId?: string): Environment => ({
  id,
  projectId,
  name: id,
  protection: 'restricted',
  reviewers: { userIds: [], teamIds: [] },
  ...(clusterId ? { clusterId } : {}),
});
const ENVS = [env('env_prod', 'prj_pay', 'cls_prod'), env('env_lab', 'prj_pay')];
const none = { environmentId: '', projectId: '', clusterId: '' };

describe('actions', () => {
  test('all 16 actions are offered, each once, grouped', () => {
    const offered = ACTION_CHOICES.flatMap((g) => g.actions.map((a) => a.action));
    assert.deepEqual([...offered].sort(), [...ACTIONS].sort());
    assert.ok(ACTION_CHOICES.every((g) => g.group.length > 0 && g.actions.length > 0));
  });
});

describe('resourceOf', () => {
  test('an environment implies its project and cluster; other picks are ignored', () => {
    assert.deepEqual(resourceOf('rollback.execute', { environmentId: 'env_prod', projectId: 'prj_other', clusterId: 'cls_other' }, ENVS), {
      resource: { environmentId: 'env_prod', projectId: 'prj_pay', clusterId: 'cls_prod' },
    });
  });
  test('deploy-like actions need an environment', () => {
    assert.match((resourceOf('rollback.execute', { ...none, projectId: 'prj_pay' }, ENVS) as { missing: string }).missing, /Rollback needs an environment/);
  });
  test('cluster actions need a cluster: picked, or from the environment; an environment on no cluster is not offered', () => {
    assert.match((resourceOf('cluster.restart', none, ENVS) as { missing: string }).missing, /needs a cluster/);
    assert.deepEqual(resourceOf('cluster.restart', { ...none, clusterId: 'cls_prod' }, ENVS), { resource: { clusterId: 'cls_prod' } });
    assert.match((resourceOf('cluster.restart', { ...none, environmentId: 'env_lab' }, ENVS) as { missing: string }).missing, /on none/);
    assert.deepEqual(
      environmentsFor('cluster.restart', ENVS).map((e) => e.id),
      ['env_prod'],
    );
    assert.equal(environmentsFor('release.deploy', ENVS).length, 2);
  });
  test('other actions take what is picked, or nothing (the organisation)', () => {
    assert.deepEqual(resourceOf('project.delete', { ...none, projectId: 'prj_pay' }, ENVS), { resource: { projectId: 'prj_pay' } });
    assert.deepEqual(resourceOf('project.delete', none, ENVS), { resource: {} });
  });
});

describe('readDiffBytes', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  test('UTF-8 text: its size and lines as the server counts them', () => {
    const r = readDiffBytes('a.diff', enc('--- a\n+++ b\n-é\n+ü'));
    assert.deepEqual(r, { ok: true, text: '--- a\n+++ b\n-é\n+ü', bytes: 19, lines: 4 });
    assert.equal(countLines('a\nb\n'), 2);
    assert.equal(countLines(''), 0);
  });
  test('binary (NUL bytes) and non-UTF-8 are refused with a clear message', () => {
    const bin = readDiffBytes('logo.png', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01]));
    assert.deepEqual(bin, { ok: false, message: 'logo.png looks like a binary file (it contains NUL bytes): choose a text diff.' });
    const latin1 = readDiffBytes('old.diff', new Uint8Array([0x2d, 0xe9, 0x0a]));
    assert.deepEqual(latin1, { ok: false, message: 'old.diff is not UTF-8 text: save the diff as UTF-8 and choose it again.' });
  });
  test('a file past the limit is refused before it is read as text', () => {
    assert.deepEqual(readDiffBytes('huge.diff', new Uint8Array(3 * 1024 * 1024 + 1)), {
      ok: false,
      message: 'huge.diff is larger than 3.0 MB, the most a diff filed from the console may be.',
    });
  });
  test('sizes in words', () => {
    assert.equal(sizeWords(1), '1 byte');
    assert.equal(sizeWords(812), '812 bytes');
    assert.equal(sizeWords(14_540), '14.2 KB');
    assert.equal(sizeWords(3_250_586), '3.1 MB');
  });
});

describe('parseCost', () => {
  test('empty: no estimate; figures with an optional currency (upper-cased)', () => {
    assert.deepEqual(parseCost({ total: '', diff: '', currency: '' }), { ok: true, cost: undefined });
    assert.deepEqual(parseCost({ total: '1234.50', diff: '-200', currency: 'eur' }), {
      ok: true,
      cost: { totalMonthlyCost: 1234.5, monthlyCostDiff: -200, currency: 'EUR' },
    });
    assert.deepEqual(parseCost({ total: '0', diff: '0', currency: '' }), { ok: true, cost: { totalMonthlyCost: 0, monthlyCostDiff: 0 } });
  });
  test('refusals name the field', () => {
    assert.deepEqual(parseCost({ total: '-1', diff: '0', currency: '' }), { ok: false, field: 'total', message: 'The monthly total cannot be negative.' });
    assert.equal((parseCost({ total: 'Infinity', diff: '0', currency: '' }) as { field: string }).field, 'total');
    assert.equal((parseCost({ total: 'NaN', diff: '0', currency: '' }) as { field: string }).field, 'total');
    assert.equal((parseCost({ total: '1e999', diff: '0', currency: '' }) as { field: string }).field, 'total');
    assert.equal((parseCost({ total: '10', diff: '', currency: '' }) as { field: string }).field, 'diff');
    assert.equal((parseCost({ total: '10', diff: '1', currency: 'EURO' }) as { field: string }).field, 'currency');
    assert.equal((parseCost({ total: '2000000000000', diff: '1', currency: '' }) as { message: string }).message, 'The monthly total is too large.');
  });
  test('in words, with the currency or its code', () => {
    assert.deepEqual(costWords({ totalMonthlyCost: 1234.5, monthlyCostDiff: -200, currency: 'EUR' }, 'en-GB'), {
      total: '€1,234.50 a month',
      change: '-€200 a month',
    });
    assert.deepEqual(costWords({ totalMonthlyCost: 10, monthlyCostDiff: 2 }, 'en-GB'), { total: '10 a month', change: '+2 a month' });
  });
});

describe('previewWords', () => {
  const base = { gates: [], warnings: [], needs: [] };
  test('each outcome', () => {
    assert.deepEqual(previewWords({ ...base, outcome: 'allow' }), { tone: 'ok', text: 'Goes through at once: no gate applies.' });
    assert.deepEqual(
      previewWords({
        ...base,
        outcome: 'pending',
        gates: ['Production Release Approval'],
        needs: [{ gate: 'Production Release Approval', approvals: 2, distinctTeams: 0, including: ['Security'] }],
      }),
      { tone: 'warn', text: 'Needs 2 approvals including Security (Production Release Approval).' },
    );
    assert.deepEqual(
      previewWords({
        ...base,
        outcome: 'pending',
        needs: [
          { gate: 'A', approvals: 1, distinctTeams: 0, including: [] },
          { gate: 'B', approvals: 2, distinctTeams: 2, including: ['SRE', 'an admin'] },
        ],
      }),
      {
        tone: 'warn',
        text: 'Needs 2 gates to pass, each with its own approvals:',
        items: ['1 approval (A)', '2 approvals including SRE and an admin from 2 different teams (B)'],
      },
    );
    assert.deepEqual(previewWords({ ...base, outcome: 'deny', message: 'Environment "production" is locked.' }), {
      tone: 'danger',
      text: 'The server will refuse this: Environment "production" is locked.',
    });
  });
});
