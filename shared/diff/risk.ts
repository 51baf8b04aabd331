// What a reviewer should look at first: deleted resources, image/tag changes, replica changes,
// RBAC and Secret changes, Terraform destroys. One pass over the parsed lines; only changed lines
// (and, for RBAC/Secret kinds, the context shown around them) are looked at. Secret values are
// never copied into the summary.
import { filePath, type DiffFile, type DiffLine } from './parse.ts';

export type RiskKind = 'deleted-resource' | 'image' | 'replicas' | 'rbac' | 'secret' | 'terraform-destroy';
export type Severity = 'high' | 'medium' | 'low';

export interface RiskItem {
  kind: RiskKind;
  severity: Severity;
  /** Display path of the file. */
  file: string;
  /** Line number in the new file (or the old one for removed lines); null for whole-file items. */
  line: number | null;
  text: string;
  /** Where it is, for jumping: index of the file, and of the hunk and line within it (-1: the file). */
  fileIndex: number;
  hunkIndex: number;
  lineIndex: number;
}

export interface RiskSummary {
  items: RiskItem[];
  /** Items per kind, including any beyond the cap. */
  counts: Record<RiskKind, number>;
  /** More items were found than are listed. */
  truncated: boolean;
}

export const RISK_LABELS: Record<RiskKind, string> = {
  'deleted-resource': 'Deleted resources',
  image: 'Image changes',
  replicas: 'Replica changes',
  rbac: 'RBAC changes',
  secret: 'Secret changes',
  'terraform-destroy': 'Terraform destroys',
};

const MAX_ITEMS = 2000;
const MAX_SCAN_CHARS = 400; // risk patterns sit at the start of short lines

const RBAC_KINDS = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']);

/** `kind: X` at the top level of a YAML document (indent 0): the resource's own kind. */
function topKind(text: string): string | null {
  if (!text.startsWith('kind:')) return null;
  const v = text
    .slice(5)
    .trim()
    .replace(/^["']|["']$/g, '');
  return /^[A-Za-z][\w.]*$/.test(v) ? v : null;
}

/** Any `kind: X` (nested ones too, e.g. in a List or a roleRef). */
function anyKind(text: string): string | null {
  const m = /^\s*(?:-\s+)?kind:\s*["']?([A-Za-z][\w.]*)["']?\s*$/.exec(text);
  return m ? m[1]! : null;
}

const IMAGE_RE = /^\s*(?:-\s+)?(image|newTag|tag|newName):\s*["']?([^\s"'#]+)["']?/;
// `--config-reloader-image=…`, `--prometheus-config-reloader=quay.io/x/y:v1`: flags whose value is an image reference
const IMAGE_ARG_RE = /--[\w-]+=([\w.-]+(?::\d+)?(?:\/[\w.-]+)+(?::[\w.-]+|@sha256:[0-9a-f]{12,}))(?:\s|$|["'])/;
const REPLICAS_RE = /^\s*(?:-\s+)?(replicas|minReplicas|maxReplicas|replicaCount):\s*["']?(\d+)/;
const TF_DESTROY_RE = /#\s+(\S+)\s+will be destroyed/;
const TF_PLAN_RE = /Plan:\s*(\d+) to add,\s*(\d+) to change,\s*(\d+) to destroy/;
const TF_MINUS_RESOURCE_RE = /^\s*-\s+(resource|data|module)\s+"([^"]+)"(?:\s+"([^"]+)")?/;
const TF_RESOURCE_RE = /^\s*(resource|module)\s+"([^"]+)"(?:\s+"([^"]+)")?\s*\{/;

function emptyCounts(): Record<RiskKind, number> {
  return { 'deleted-resource': 0, image: 0, replicas: 0, rbac: 0, secret: 0, 'terraform-destroy': 0 };
}

function lineNo(l: DiffLine): number | null {
  return l.kind === 'del' ? l.oldNo : l.newNo;
}

/** The risk summary of parsed files. */
export function summarizeRisk(files: readonly DiffFile[]): RiskSummary {
  const items: RiskItem[] = [];
  const counts = emptyCounts();
  const add = (item: RiskItem) => {
    counts[item.kind]++;
    if (items.length < MAX_ITEMS) items.push(item);
  };

  files.forEach((f, fi) => {
    const path = filePath(f);
    const isTf = /\.(tf|tfvars|hcl)$/i.test(path);
    const pathRbac = /(^|[/_.-])(rbac|(cluster)?role(binding)?s?)([/_.-]|$)/i.test(path);
    const pathSecret = /(^|[/_.-])secrets?([/_.-]|$)/i.test(path);
    let rbacKind: string | null = null;
    let secretSeen = false;
    let changed = false;
    const deletedKinds: string[] = [];
    const removedKinds = new Map<string, { hi: number; li: number; line: DiffLine }[]>();
    const addedKinds = new Map<string, number>();

    f.hunks.forEach((h, hi) => {
      const removedImages: string[] = [];
      let lastRemovedReplicas: number | null = null;
      h.lines.forEach((l, li) => {
        const text = l.text.length > MAX_SCAN_CHARS ? l.text.slice(0, MAX_SCAN_CHARS) : l.text;
        if (l.kind === 'add' || l.kind === 'del') changed = true;
        if (l.kind === 'meta') return;
        const k = anyKind(text);
        if (k) {
          if (RBAC_KINDS.has(k) && topKind(text)) rbacKind ??= k;
          if (k === 'Secret' && topKind(text)) secretSeen = true;
        }
        const base = { file: path, line: lineNo(l), fileIndex: fi, hunkIndex: hi, lineIndex: li };

        // Terraform plan output (in any file, or a plan pasted as the whole text)
        if (l.kind !== 'del') {
          const d = TF_DESTROY_RE.exec(text);
          if (d && /will be destroyed/.test(text)) add({ ...base, kind: 'terraform-destroy', severity: 'high', text: `${d[1]} will be destroyed` });
          const p = TF_PLAN_RE.exec(text);
          if (p && Number(p[3]) > 0)
            add({ ...base, kind: 'terraform-destroy', severity: 'high', text: `Plan: ${p[3]} to destroy (${p[1]} to add, ${p[2]} to change)` });
          const m = TF_MINUS_RESOURCE_RE.exec(text);
          if (m && (f.plain || l.kind === 'add' || l.kind === 'ctx') && !isTf)
            add({ ...base, kind: 'terraform-destroy', severity: 'high', text: `- ${m[1]} "${m[2]}"${m[3] ? ` "${m[3]}"` : ''}` });
        }
        if (l.kind === 'ctx') return;

        if (l.kind === 'del') {
          if (isTf) {
            const r = TF_RESOURCE_RE.exec(text);
            if (r) add({ ...base, kind: 'terraform-destroy', severity: 'high', text: `${r[1]} "${r[2]}"${r[3] ? ` "${r[3]}"` : ''} removed` });
          }
          const tk = topKind(text);
          if (tk) {
            if (f.status === 'deleted') {
              if (deletedKinds.length < 50) deletedKinds.push(tk);
            } else {
              const list = removedKinds.get(tk) ?? [];
              list.push({ hi, li, line: l });
              removedKinds.set(tk, list);
            }
          }
        } else {
          const tk = topKind(text);
          if (tk) addedKinds.set(tk, (addedKinds.get(tk) ?? 0) + 1);
        }

        // images and tags: an added one is paired with a removed one of the same repository in its
        // hunk (else the oldest unpaired removal)
        const im = IMAGE_RE.exec(text) ?? null;
        const imageValue = im ? im[2]! : (IMAGE_ARG_RE.exec(text)?.[1] ?? null);
        if (imageValue !== null && (im?.[1] !== 'tag' || !/^\d+$/.test(imageValue))) {
          if (l.kind === 'del') removedImages.push(imageValue);
          else {
            let k = removedImages.findIndex((r) => repoOf(r) === repoOf(imageValue));
            if (k === -1 && removedImages.length > 0) k = 0;
            const from = k === -1 ? null : removedImages.splice(k, 1)[0]!;
            add({ ...base, kind: 'image', severity: 'medium', text: from ? `${from} → ${shortImage(imageValue, from)}` : `${imageValue} (new)` });
          }
        }

        // replicas
        const rm = REPLICAS_RE.exec(text);
        if (rm) {
          const n = Number(rm[2]);
          if (l.kind === 'del') lastRemovedReplicas = n;
          else {
            const from = lastRemovedReplicas;
            lastRemovedReplicas = null;
            const severity: Severity = n === 0 || (from !== null && n < from) ? 'high' : 'medium';
            add({ ...base, kind: 'replicas', severity, text: from !== null ? `${rm[1]} ${from} → ${n}` : `${rm[1]}: ${n}` });
          }
        }
      });
      // a removed image or replicas line without a replacement in its hunk (a deleted file says enough)
      if (f.status === 'deleted') return;
      for (const r of removedImages)
        add({ file: path, line: null, fileIndex: fi, hunkIndex: hi, lineIndex: -1, kind: 'image', severity: 'medium', text: `${r} removed` });
      if (lastRemovedReplicas !== null)
        add({
          file: path,
          line: null,
          fileIndex: fi,
          hunkIndex: hi,
          lineIndex: -1,
          kind: 'replicas',
          severity: 'medium',
          text: `replicas ${lastRemovedReplicas} removed`,
        });
    });

    const counts = `+${f.added} −${f.removed}`;
    if (f.status === 'deleted') {
      const kinds = deletedKinds.length ? ` (${summarizeKinds(deletedKinds)})` : '';
      add({ file: path, line: null, fileIndex: fi, hunkIndex: -1, lineIndex: -1, kind: 'deleted-resource', severity: 'high', text: `File deleted${kinds}` });
    } else {
      for (const [kind, removed] of removedKinds) {
        const readded = addedKinds.get(kind) ?? 0;
        for (const r of removed.slice(readded)) {
          add({
            file: path,
            line: r.line.oldNo,
            fileIndex: fi,
            hunkIndex: r.hi,
            lineIndex: r.li,
            kind: 'deleted-resource',
            severity: 'high',
            text: `${kind} removed`,
          });
        }
      }
    }
    if (changed && (rbacKind || (pathRbac && !isTf))) {
      add({
        file: path,
        line: null,
        fileIndex: fi,
        hunkIndex: -1,
        lineIndex: -1,
        kind: 'rbac',
        severity: 'high',
        text: `${rbacKind ?? 'RBAC'} ${f.status === 'modified' ? 'changed' : f.status} (${counts})`,
      });
    }
    if (changed && (secretSeen || pathSecret)) {
      add({
        file: path,
        line: null,
        fileIndex: fi,
        hunkIndex: -1,
        lineIndex: -1,
        kind: 'secret',
        severity: 'high',
        text: `Secret ${f.status === 'modified' ? 'changed' : f.status} (${counts})`,
      });
    }
  });

  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  return { items, counts, truncated: total > items.length };
}

function summarizeKinds(kinds: string[]): string {
  const m = new Map<string, number>();
  for (const k of kinds) m.set(k, (m.get(k) ?? 0) + 1);
  return [...m].map(([k, n]) => (n > 1 ? `${n}× ${k}` : k)).join(', ');
}

/** `registry/name:tag` or `…@sha256:…` → `registry/name`. */
function repoOf(image: string): string {
  return image.replace(/[:@][^/]*$/, '');
}

/** The new image relative to the old: same repository → just `:newtag`. */
function shortImage(image: string, from: string): string {
  const repo = repoOf(image);
  return repo === repoOf(from) && image.length > repo.length ? image.slice(repo.length) : image;
}
