// The New request form's rules, kept out of the component so they can be tested: which resource an
// action needs (docs/policies.md, "Consistent resources"), the resource a choice of pickers makes,
// a diff file read as UTF-8 text or refused, the cost estimate parsed from three text boxes, and
// what the preview and a refused filing say in words.
import { ACTION_GROUPS, actionsOf } from '../../../shared/inbox.ts';
import { isClusterAction, isDeployLike } from '../../../shared/policy/gates.ts';
import type { Output } from '../../../shared/ipc.ts';
import { COST_LIMIT, RequestCost, type Action, type Environment, type Resource } from '../../../shared/schemas/index.ts';
import { ACTION_LABELS, GROUP_LABELS } from './format.ts';

/** Every action, grouped as the inbox's chips group them. */
export const ACTION_CHOICES: { group: string; actions: { action: Action; label: string }[] }[] = ACTION_GROUPS.map((g) => ({
  group: GROUP_LABELS[g] ?? g,
  actions: actionsOf(g).map((action) => ({ action, label: ACTION_LABELS[action] })),
}));

/**
 * Actions the server files through their own route, never POST /api/requests: the form names the
 * screen that does them instead of sending a request the server would refuse.
 */
export const OWN_SCREEN: Partial<Record<Action, string>> = {
  'environment.freeze': 'Freezing is done on the Environments screen (Freeze), not filed as a request.',
  'environment.unfreeze': 'Unfreezing is done on the Environments screen (Unfreeze), not filed as a request.',
  'environment.policyUpdate': 'Protection changes are made on the Environments screen, not filed as a request.',
  'breakglass.initiate': 'Break-glass sessions are started on the Break-glass screen, not filed as a request.',
};

/** What the resource pickers must hold for this action. */
export type ResourceNeed = 'environment' | 'cluster' | 'optional';

export function resourceNeed(action: Action): ResourceNeed {
  if (isDeployLike(action)) return 'environment';
  if (isClusterAction(action)) return 'cluster';
  return 'optional';
}

export interface Picks {
  environmentId: string;
  projectId: string;
  clusterId: string;
}

/**
 * Environments the pickers offer for this action: all of them, except that a cluster action can
 * only name an environment that is on a cluster (the environment then names the cluster).
 */
export function environmentsFor(action: Action, environments: readonly Environment[]): Environment[] {
  return resourceNeed(action) === 'cluster' ? environments.filter((e) => e.clusterId !== undefined) : [...environments];
}

/**
 * The resource the picks make. An environment implies its project and cluster, so those pickers
 * are not consulted then; without one, the project and cluster picked stand alone. Undefined with
 * the reason when the action's need is not met yet.
 */
export function resourceOf(action: Action, picks: Picks, environments: readonly Environment[]): { resource: Resource } | { missing: string } {
  const need = resourceNeed(action);
  const env = picks.environmentId ? environments.find((e) => e.id === picks.environmentId) : undefined;
  if (env) {
    if (need === 'cluster' && env.clusterId === undefined) return { missing: `${ACTION_LABELS[action]} needs a cluster, and this environment is on none.` };
    return { resource: { environmentId: env.id, projectId: env.projectId, ...(env.clusterId ? { clusterId: env.clusterId } : {}) } };
  }
  if (need === 'environment') return { missing: `${ACTION_LABELS[action]} needs an environment: pick one.` };
  if (need === 'cluster' && !picks.clusterId) return { missing: `${ACTION_LABELS[action]} needs a cluster: pick one (or an environment on it).` };
  return {
    resource: {
      ...(picks.projectId ? { projectId: picks.projectId } : {}),
      ...(picks.clusterId ? { clusterId: picks.clusterId } : {}),
    },
  };
}

// ---- the diff from a file --------------------------------------------------------------------------

/**
 * The server takes 16 MiB, but web mode's socket carries at most 4 MiB a message
 * (electron/core/web/host.ts), and JSON escaping grows a diff: 3 MiB leaves room, in both shells.
 */
export const MAX_DIFF_BYTES = 3 * 1024 * 1024;

export type DiffFile = { ok: true; text: string; bytes: number; lines: number } | { ok: false; message: string };

/** Lines as the server counts them (server/domain/create-request.ts): a last line without its newline counts. */
export function countLines(text: string): number {
  if (!text) return 0;
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return text.endsWith('\n') ? n : n + 1;
}

/** A file's bytes as diff text, or why not: too large, binary (a NUL byte), or not UTF-8. */
export function readDiffBytes(name: string, bytes: Uint8Array): DiffFile {
  if (bytes.byteLength > MAX_DIFF_BYTES) {
    return { ok: false, message: `${name} is larger than ${sizeWords(MAX_DIFF_BYTES)}, the most a diff filed from the console may be.` };
  }
  if (bytes.includes(0)) return { ok: false, message: `${name} looks like a binary file (it contains NUL bytes): choose a text diff.` };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return { ok: false, message: `${name} is not UTF-8 text: save the diff as UTF-8 and choose it again.` };
  }
  return { ok: true, text, bytes: bytes.byteLength, lines: countLines(text) };
}

export function utf8Bytes(text: string): number {
  return new TextEncoder().encode(text).byteLength;
}

/** "812 bytes", "14.2 KB", "3.1 MB". */
export function sizeWords(bytes: number): string {
  if (bytes < 1024) return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

// ---- the cost estimate ------------------------------------------------------------------------------

export type CostInput = { total: string; diff: string; currency: string };

/**
 * The estimate from the form's text boxes: none when all are empty, else both figures (numbers in
 * the schema's bounds) and an optional 3-letter currency, or the first problem in words.
 */
export function parseCost(input: CostInput): { ok: true; cost: RequestCost | undefined } | { ok: false; field: keyof CostInput; message: string } {
  const total = input.total.trim();
  const diff = input.diff.trim();
  const currency = input.currency.trim().toUpperCase();
  if (!total && !diff && !currency) return { ok: true, cost: undefined };
  const number = (s: string): number | undefined => (/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(s) ? Number(s) : undefined);
  const t = number(total);
  if (t === undefined)
    return { ok: false, field: 'total', message: total ? `Monthly total “${total}” is not a number.` : 'Give the monthly total too (0 if none).' };
  if (t < 0) return { ok: false, field: 'total', message: 'The monthly total cannot be negative.' };
  if (t > COST_LIMIT) return { ok: false, field: 'total', message: 'The monthly total is too large.' };
  const d = number(diff);
  if (d === undefined)
    return {
      ok: false,
      field: 'diff',
      message: diff ? `Monthly change “${diff}” is not a number.` : 'Give the monthly change too (negative for a saving, 0 if none).',
    };
  if (Math.abs(d) > COST_LIMIT) return { ok: false, field: 'diff', message: 'The monthly change is too large.' };
  if (currency && !/^[A-Z]{3}$/.test(currency)) return { ok: false, field: 'currency', message: 'Currency is a 3-letter code such as EUR or USD.' };
  const parsed = RequestCost.safeParse({ totalMonthlyCost: t, monthlyCostDiff: d, ...(currency ? { currency } : {}) });
  if (!parsed.success) return { ok: false, field: 'total', message: parsed.error.issues[0]?.message ?? 'The cost estimate is not valid.' };
  return { ok: true, cost: parsed.data };
}

/** "€1,234.50 a month (−€200.00)", in the viewer's locale; a plain number with its code without a currency. */
export function costWords(cost: RequestCost, locale?: string): { total: string; change: string } {
  const fmt = (n: number, sign: boolean) => {
    const opts: Intl.NumberFormatOptions = {
      maximumFractionDigits: 2,
      minimumFractionDigits: Number.isInteger(n) ? 0 : 2,
      ...(sign ? { signDisplay: 'exceptZero' as const } : {}),
    };
    if (cost.currency) {
      try {
        return new Intl.NumberFormat(locale, { ...opts, style: 'currency', currency: cost.currency }).format(n);
      } catch {
        // an ISO-shaped code the runtime does not know: the number and the code
      }
    }
    return `${new Intl.NumberFormat(locale, opts).format(n)}${cost.currency ? ` ${cost.currency}` : ''}`;
  };
  return { total: `${fmt(cost.totalMonthlyCost, false)} a month`, change: `${fmt(cost.monthlyCostDiff, true)} a month` };
}

// ---- words ------------------------------------------------------------------------------------------

export type Preview = Output<'preview.action'>;

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function list(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/** What one gate needs: "2 approvals including Security (Production Release Approval)". */
function needWords(n: Preview['needs'][number]): string {
  const parts = [plural(Math.max(n.approvals, n.including.length, 1), 'approval')];
  if (n.including.length) parts.push(`including ${list(n.including)}`);
  if (n.distinctTeams > 1) parts.push(`from ${n.distinctTeams} different teams`);
  return `${parts.join(' ')} (${n.gate})`;
}

/** The preview as the form shows it, with the tone of its colour; several gates are listed one a line in `items`. */
export function previewWords(p: Preview): { tone: 'ok' | 'warn' | 'danger'; text: string; items?: string[] } {
  switch (p.outcome) {
    case 'allow':
      return { tone: 'ok', text: 'Goes through at once: no gate applies.' };
    case 'warn':
      return { tone: 'warn', text: `Goes through at once, with a warning: ${p.warnings.join(' ')}` };
    case 'pending': {
      const needs = p.needs.length ? p.needs.map(needWords) : p.gates;
      if (needs.length > 1) return { tone: 'warn', text: `Needs ${needs.length} gates to pass, each with its own approvals:`, items: needs };
      return { tone: 'warn', text: `Needs ${list(needs)}.` };
    }
    case 'deny':
      return { tone: 'danger', text: `The server will refuse this: ${p.message ?? 'not allowed'}` };
  }
}
