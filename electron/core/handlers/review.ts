// review.viewed.*: the reviewer's per-file Viewed marks, stored in the cache at the request's
// current diff digest (a mark made on an older diff says nothing about the new one).
import type { Handlers } from '../../../shared/ipc.ts';
import type { ApprovalRequest } from '../../../shared/schemas/index.ts';
import type { Cache } from '../cache/index.ts';
import { CoreError } from '../ipc/dispatch.ts';

export function reviewHandlers(cache: Cache): Pick<Handlers, 'review.viewed.get' | 'review.viewed.set'> {
  const cached = (id: string): ApprovalRequest => {
    const request = cache.request(id);
    if (!request) throw new CoreError('not_found', 'request not found', 404);
    return request;
  };
  return {
    'review.viewed.get': async ({ requestId }) => {
      const { digest } = cached(requestId);
      return { digest, paths: cache.viewedFiles(requestId, digest) };
    },
    'review.viewed.set': async ({ requestId, digest, path, viewed }) => {
      const request = cached(requestId);
      if (digest !== request.digest)
        throw new CoreError('invalid_input', 'the diff has changed since it was shown: reload it before marking files viewed', 409);
      try {
        cache.setViewed(requestId, digest, path, viewed);
      } catch (err) {
        if (err instanceof RangeError) throw new CoreError('invalid_input', err.message, 400);
        throw err;
      }
      return { digest, paths: cache.viewedFiles(requestId, digest) };
    },
  };
}
