// Real-world inputs for tests. They are kept in bench/data/ (see the README there for their
// sources and licences), where the benchmarks read the same files.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/** The kube-prometheus v0.13.0 → v0.14.0 manifests diff (118,637 lines, 92 files). */
export function kubePrometheusDiff(): string {
  return gunzipSync(readFileSync(new URL('../../bench/data/kube-prometheus-v0.13.0-v0.14.0.diff.gz', import.meta.url))).toString('utf8');
}
