// Realistic unified diffs for the demo: Kubernetes manifests, Terraform plans, app config.
// Deterministic (seeded) so every demo looks the same.
import { seededRandom } from '../../shared/random.ts';

interface Hunk {
  oldStart: number;
  lines: string[];
}

function fileDiff(path: string, hunks: Hunk[], opts: { newFile?: boolean; deleted?: boolean } = {}): string {
  const out = [`diff --git a/${path} b/${path}`];
  if (opts.newFile) out.push('new file mode 100644', '--- /dev/null', `+++ b/${path}`);
  else if (opts.deleted) out.push('deleted file mode 100644', `--- a/${path}`, '+++ /dev/null');
  else out.push(`--- a/${path}`, `+++ b/${path}`);
  let shift = 0;
  for (const h of hunks) {
    const oldCount = h.lines.filter((l) => !l.startsWith('+')).length;
    const newCount = h.lines.filter((l) => !l.startsWith('-')).length;
    const oldStart = opts.newFile ? 0 : h.oldStart;
    const newStart = opts.deleted ? 0 : h.oldStart + shift;
    out.push(`@@ -${oldStart},${oldCount} +${newStart},${newCount} @@`, ...h.lines);
    shift += newCount - oldCount;
  }
  return `${out.join('\n')}\n`;
}

export function deploymentImageBump(app: string, from: string, to: string, replicas?: [number, number]): string {
  const lines = [
    ' apiVersion: apps/v1',
    ' kind: Deployment',
    ' metadata:',
    `   name: ${app}`,
    '   namespace: production',
    '   labels:',
    `     app.kubernetes.io/name: ${app}`,
    `-    app.kubernetes.io/version: "${from}"`,
    `+    app.kubernetes.io/version: "${to}"`,
    ' spec:',
    ...(replicas ? [`-  replicas: ${replicas[0]}`, `+  replicas: ${replicas[1]}`] : ['   replicas: 6']),
    '   selector:',
    '     matchLabels:',
    `       app.kubernetes.io/name: ${app}`,
    '   template:',
    '     spec:',
    '       containers:',
    `         - name: ${app}`,
    `-          image: registry.example.com/shop/${app}:${from}`,
    `+          image: registry.example.com/shop/${app}:${to}`,
    '           resources:',
    '             requests:',
    '               cpu: 250m',
    '               memory: 512Mi',
  ];
  return fileDiff(`deploy/production/${app}/deployment.yaml`, [{ oldStart: 1, lines }]);
}

export function configChange(): string {
  return fileDiff('config/production/payments.json', [
    {
      oldStart: 12,
      lines: [
        '   "retries": {',
        '-    "max": 3,',
        '-    "backoffMs": 200',
        '+    "max": 5,',
        '+    "backoffMs": 250,',
        '+    "jitter": true',
        '   },',
        '   "providers": {',
        '-    "primary": "stripe-eu",',
        '+    "primary": "adyen-eu",',
        '     "fallback": "stripe-eu"',
        '   },',
        '-  "featureFlags": { "instantRefunds": false }',
        '+  "featureFlags": { "instantRefunds": true }',
      ],
    },
  ]);
}

export function rbacAndSecretChange(): string {
  return (
    fileDiff('deploy/production/search/rbac.yaml', [
      {
        oldStart: 1,
        lines: [
          ' apiVersion: rbac.authorization.k8s.io/v1',
          ' kind: ClusterRole',
          ' metadata:',
          '   name: search-indexer',
          ' rules:',
          '   - apiGroups: [""]',
          '-    resources: ["configmaps"]',
          '-    verbs: ["get", "list"]',
          '+    resources: ["configmaps", "secrets"]',
          '+    verbs: ["get", "list", "watch"]',
        ],
      },
    ]) +
    fileDiff(
      'deploy/production/search/legacy-secret.yaml',
      [
        {
          oldStart: 1,
          lines: [' apiVersion: v1', ' kind: Secret', ' metadata:', '   name: search-legacy-credentials', ' type: Opaque'].map((l) => `-${l.slice(1)}`),
        },
      ],
      { deleted: true },
    )
  );
}

/** A `terraform plan` rendered as a diff of the plan file, with a destroy in it. */
export function terraformPlan(): string {
  const lines = [
    '+# module.payments_db.aws_db_instance.primary will be updated in-place',
    '+  ~ resource "aws_db_instance" "primary" {',
    '+      ~ instance_class          = "db.r6g.large" -> "db.r6g.xlarge"',
    '+      ~ allocated_storage       = 500 -> 750',
    '+        id                      = "payments-primary"',
    '+    }',
    '+',
    '+# module.payments_db.aws_db_instance.replica_legacy will be destroyed',
    '+  - resource "aws_db_instance" "replica_legacy" {',
    '+      - identifier              = "payments-replica-legacy" -> null',
    '+      - instance_class          = "db.r5.large" -> null',
    '+    }',
    '+',
    '+Plan: 0 to add, 1 to change, 1 to destroy.',
  ];
  return fileDiff('terraform/payments/plan.txt', [{ oldStart: 0, lines }], { newFile: true });
}

/** A large generated change: many ConfigMap entries and a CRD schema, 5,000+ lines. */
export function largeManifestChange(seed: number, files = 12, linesPerFile = 480): string {
  const rand = seededRandom(seed);
  let out = '';
  for (let f = 0; f < files; f++) {
    const lines: string[] = [' apiVersion: v1', ' kind: ConfigMap', ' metadata:', `   name: dashboards-${f}`, '   namespace: monitoring', ' data:'];
    for (let i = 0; i < linesPerFile; i++) {
      const key = `    panel_${f}_${i}`;
      const r = rand();
      if (r < 0.08)
        lines.push(`-${key}: "rate(http_requests_total{job=\\"api\\"}[5m])"`, `+${key}: "sum by (code) (rate(http_requests_total{job=\\"api\\"}[5m]))"`);
      else if (r < 0.1) lines.push(`+${key}_p99: "histogram_quantile(0.99, rate(http_request_duration_seconds_bucket[5m]))"`);
      else if (r < 0.11) lines.push(`-${key}_legacy: "up"`);
      else lines.push(` ${key}: "avg(rate(container_cpu_usage_seconds_total[5m]))"`);
    }
    out += fileDiff(`manifests/grafana-dashboards-${f}.yaml`, [{ oldStart: 1, lines }]);
  }
  return out;
}
