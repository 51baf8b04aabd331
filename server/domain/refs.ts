import type { SyncEntity } from '../../shared/schemas/index.ts';
import type { StoreReader } from '../store/types.ts';
import { invalid } from './errors.ts';

/** Refuses a body naming ids that don't exist, saying which field and which id. */
export async function assertRefs(
  store: StoreReader,
  refs: [entity: Exclude<SyncEntity, 'request'>, ids: readonly string[] | undefined, path: string][],
): Promise<void> {
  const issues: { path: string; message: string }[] = [];
  for (const [entity, ids, path] of refs) {
    for (const id of ids ?? []) {
      if (!(await store.get(entity, id))) issues.push({ path, message: `unknown ${entity} "${id}"` });
    }
  }
  if (issues.length) throw invalid(issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
}
