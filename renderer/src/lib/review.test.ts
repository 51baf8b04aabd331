import assert from 'node:assert/strict';
import { test } from 'node:test';
import { reviewWords } from './review.ts';

test('an approval without the diff shown says so, when there was a diff to show', () => {
  assert.equal(reviewWords({ diffShown: false, filesViewed: 0, filesTotal: 0 }, true), 'approved without opening the diff');
  assert.equal(reviewWords({ diffShown: false, filesViewed: 0, filesTotal: 0 }, false), undefined);
});

test('with the diff shown: how many files were viewed, when that is known, and the digest it claims', () => {
  assert.equal(reviewWords({ diffShown: true, filesViewed: 3, filesTotal: 7 }, true), 'viewed 3 of 7 files');
  assert.equal(reviewWords({ diffShown: true, filesViewed: 1, filesTotal: 1 }, true), 'viewed 1 of 1 file');
  assert.equal(
    reviewWords({ diffShown: true, filesViewed: 0, filesTotal: 0 }, true, 'sha256:0123456789abcdef'),
    'opened the diff · reviewed this exact diff (0123456789)',
  );
  assert.equal(reviewWords(undefined, false, 'abcdef0123456789'), 'reviewed this exact request (abcdef0123)');
  assert.equal(reviewWords(undefined, true), undefined, 'nothing recorded, nothing claimed');
});
