// What an approval claims about its review, in words, on the request's decision list: an approval
// made without opening the diff must read as one, and one that claims the exact diff says which.
import type { DecisionReview } from '../../../shared/schemas/index.ts';

/**
 * "approved without opening the diff", "viewed 3 of 7 files · reviewed this exact diff (1a2b3c4d5e)";
 * undefined when there is nothing to say (an approval from before reviews were recorded).
 */
export function reviewWords(review: DecisionReview | undefined, hasDiff: boolean, reviewedDigest?: string): string | undefined {
  const parts: string[] = [];
  if (review && !review.diffShown && hasDiff) parts.push('approved without opening the diff');
  else if (review?.diffShown) {
    parts.push(review.filesTotal > 0 ? `viewed ${review.filesViewed} of ${review.filesTotal} file${review.filesTotal === 1 ? '' : 's'}` : 'opened the diff');
  }
  if (reviewedDigest) parts.push(`reviewed this exact ${hasDiff ? 'diff' : 'request'} (${reviewedDigest.replace(/^sha256:/, '').slice(0, 10)})`);
  return parts.length > 0 ? parts.join(' · ') : undefined;
}
