// Real-world inputs for tests, kept in the repository (see README.md here for their sources).
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/** The kube-prometheus v0.13.0 → v0.14.0 manifests diff (118,637 lines, 92 files). */
export function kubePrometheusDiff(): string {
  return gunzipSync(readFileSync(new URL('kube-prometheus-v0.13.0-v0.14.0.diff.gz', import.meta.url))).toString('utf8');
}
