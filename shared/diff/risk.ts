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
  /** deleted-resource: the top-level kinds deleted (a whole file may hold several documents), distinct. */
  resourceKinds?: string[];
  /** image: an added reference with no tag and no digest, or tagged `latest`. */
  untagged?: boolean;
}

export interface RiskSummary {
  items: RiskItem[];
  /** Items per kind, including any beyond the cap. */
  counts: Record<RiskKind, number>;
  /** More items were found than are listed. */
  truncated: boolean;
  /** Image items marked `untagged`, including any beyond the cap. */
  untaggedImages: number;
  /** The distinct `resourceKinds` of the deleted-resource items, sorted; at most MAX_DELETED_KINDS. */
  deletedKinds: string[];
  /** False when `expired` stopped the pass: every count is then a lower bound. */
  complete: boolean;
}

export interface SummarizeOptions {
  /** Asked now and then; true stops the pass where it is (a hunk or file cut short adds nothing of its own end). */
  expired?: () => boolean;
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
export const MAX_DELETED_KINDS = 50;
/** Lines between two `expired()` checks: a clock read per line would cost more than the scan. */
const CHECK_EVERY = 1024;
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
export function summarizeRisk(files: readonly DiffFile[], options: SummarizeOptions = {}): RiskSummary {
  const items: RiskItem[] = [];
  const counts = emptyCounts();
  let untaggedImages = 0;
  const kindsDeleted = new Set<string>();
  const add = (item: RiskItem) => {
    counts[item.kind]++;
    if (item.untagged) untaggedImages++;
    for (const k of item.resourceKinds ?? []) kindsDeleted.add(k);
    if (items.length < MAX_ITEMS) items.push(item);
  };
  const expired = options.expired;
  let sinceCheck = 0;
  let complete = true;
  const outOfTime = (lines: number): boolean => {
    if (!expired) return false;
    sinceCheck += lines;
    if (sinceCheck < CHECK_EVERY) return false;
    sinceCheck = 0;
    if (expired()) complete = false;
    return !complete;
  };

  scan: for (let fi = 0; fi < files.length; fi++) {
    const f = files[fi]!;
    if (outOfTime(CHECK_EVERY)) break;
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

    for (let hi = 0; hi < f.hunks.length; hi++) {
      const h = f.hunks[hi]!;
      const removedImages: string[] = [];
      let lastRemovedReplicas: number | null = null;
      for (let li = 0; li < h.lines.length; li++) {
        if (outOfTime(1)) break scan;
        const l = h.lines[li]!;
        const text = l.text.length > MAX_SCAN_CHARS ? l.text.slice(0, MAX_SCAN_CHARS) : l.text;
        if (l.kind === 'add' || l.kind === 'del') changed = true;
        if (l.kind === 'meta') continue;
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
        if (l.kind === 'ctx') continue;

        if (l.kind === 'del') {
          if (isTf) {
            const r = TF_RESOURCE_RE.exec(text);
            if (r) add({ ...base, kind: 'terraform-destroy', severity: 'high', text: `${r[1]} "${r[2]}"${r[3] ? ` "${r[3]}"` : ''} removed` });
          }
          const tk = topKind(text);
          if (tk) {
            if (f.status === 'deleted') {
              if (deletedKinds.length < MAX_DELETED_KINDS) deletedKinds.push(tk);
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
            const untagged = isUntagged(im?.[1] ?? 'image', imageValue);
            add({
              ...base,
              kind: 'image',
              severity: 'medium',
              text: from ? `${from} → ${shortImage(imageValue, from)}` : `${imageValue} (new)`,
              ...(untagged ? { untagged } : {}),
            });
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
      }
      // a removed image or replicas line without a replacement in its hunk (a deleted file says enough)
      if (f.status === 'deleted') continue;
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
    }

    const counts = `+${f.added} −${f.removed}`;
    if (f.status === 'deleted') {
      const kinds = deletedKinds.length ? ` (${summarizeKinds(deletedKinds)})` : '';
      add({
        file: path,
        line: null,
        fileIndex: fi,
        hunkIndex: -1,
        lineIndex: -1,
        kind: 'deleted-resource',
        severity: 'high',
        text: `File deleted${kinds}`,
        ...(deletedKinds.length ? { resourceKinds: [...new Set(deletedKinds)] } : {}),
      });
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
            resourceKinds: [kind],
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
  }

  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const deletedKinds = [...kindsDeleted].sort().slice(0, MAX_DELETED_KINDS);
  return { items, counts, truncated: total > items.length, untaggedImages, deletedKinds, complete };
}

// `image:` values that are not literal references (Helm `{{ … }}`, `$(VAR)`) say nothing about a tag
const IMAGE_REF_RE = /^[A-Za-z0-9][\w.\-/:@]*$/;

/**
 * An added image reference that pins nothing: no tag and no digest, or `latest` (what runs is
 * whatever was pushed last). A registry port (`registry:5000/app`) is not a tag. A kustomize
 * `newName` carries no tag by design (its `newTag` does), so only `newTag`/`tag: latest` count there.
 */
function isUntagged(key: string, value: string): boolean {
  if (key === 'tag' || key === 'newTag') return value === 'latest';
  if (key === 'newName' || !IMAGE_REF_RE.test(value) || value.includes('@')) return false;
  const name = value.slice(value.lastIndexOf('/') + 1);
  const colon = name.lastIndexOf(':');
  return colon === -1 || name.slice(colon + 1) === 'latest';
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
