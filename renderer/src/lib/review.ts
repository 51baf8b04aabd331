// What an approval's review says in words, on the request's decision list: an approval made without
// opening the diff must read as one.
import type { DecisionReview } from '../../../shared/schemas/index.ts';

/** "approved without opening the diff", "viewed 3 of 7 files", "opened the diff"; undefined when there is nothing to say. */
export function reviewWords(review: DecisionReview, hasDiff: boolean): string | undefined {
  if (!review.diffShown) return hasDiff ? 'approved without opening the diff' : undefined;
  if (review.filesTotal > 0) return `viewed ${review.filesViewed} of ${review.filesTotal} file${review.filesTotal === 1 ? '' : 's'}`;
  return 'opened the diff';
}
