import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDiff } from './parse.ts';
import { summarizeRisk, type RiskKind } from './risk.ts';

import { kubePrometheusDiff } from '../../test/data/index.ts';

const K8S = `diff --git a/manifests/api-deployment.yaml b/manifests/api-deployment.yaml
index 1..2 100644
--- a/manifests/api-deployment.yaml
+++ b/manifests/api-deployment.yaml
@@ -5,12 +5,12 @@ metadata:
   name: api
   namespace: shop
 spec:
-  replicas: 6
+  replicas: 2
   template:
     spec:
       containers:
-      - image: registry.example.com/shop/api:v1.4.2
+      - image: registry.example.com/shop/api:v1.5.0
         args:
-        - --sidecar-image=quay.io/x/reloader:v0.5.0
+        - --sidecar-image=ghcr.io/x/reloader:v0.13.1
         name: api
diff --git a/manifests/cache.yaml b/manifests/cache.yaml
index 3..4 100644
--- a/manifests/cache.yaml
+++ b/manifests/cache.yaml
@@ -1,12 +1,4 @@
 apiVersion: v1
 kind: ConfigMap
 metadata:
   name: cache
----
-apiVersion: apps/v1
-kind: StatefulSet
-metadata:
-  name: redis
-spec:
-  serviceName: redis
-  replicas: 3
diff --git a/manifests/old-worker.yaml b/manifests/old-worker.yaml
deleted file mode 100644
index 5..0000000
--- a/manifests/old-worker.yaml
+++ /dev/null
@@ -1,5 +0,0 @@
-apiVersion: apps/v1
-kind: Deployment
-metadata:
-  name: old-worker
-  namespace: shop
diff --git a/manifests/reader-role.yaml b/manifests/reader-role.yaml
index 6..7 100644
--- a/manifests/reader-role.yaml
+++ b/manifests/reader-role.yaml
@@ -1,9 +1,9 @@
 apiVersion: rbac.authorization.k8s.io/v1
 kind: ClusterRole
 metadata:
   name: reader
 rules:
 - apiGroups: [""]
   resources: ["pods"]
-  verbs: ["get", "list"]
+  verbs: ["*"]
diff --git a/manifests/db-credentials.yaml b/manifests/db-credentials.yaml
index 8..9 100644
--- a/manifests/db-credentials.yaml
+++ b/manifests/db-credentials.yaml
@@ -1,6 +1,6 @@
 apiVersion: v1
 kind: Secret
 metadata:
   name: db
 data:
-  password: aHVudGVyMg==
+  password: c3VwZXJzZWNyZXQ=
diff --git a/manifests/binding.yaml b/manifests/binding.yaml
index a..b 100644
--- a/manifests/binding.yaml
+++ b/manifests/binding.yaml
@@ -3,4 +3,4 @@ metadata:
 subjects:
-- kind: ServiceAccount
+- kind: User
   name: ci
`;

const TERRAFORM_TF = `diff --git a/infra/main.tf b/infra/main.tf
index 1..2 100644
--- a/infra/main.tf
+++ b/infra/main.tf
@@ -10,8 +10,2 @@ provider "aws" {
 }
-resource "aws_s3_bucket" "logs" {
-  bucket = "shop-logs"
-}
-module "vpc" {
-  source = "./vpc"
-}
 # end
`;

const PLAN = `Terraform will perform the following actions:

  # aws_instance.web[0] will be destroyed
  - resource "aws_instance" "web" {
      - ami           = "ami-123" -> null
    }

  # aws_security_group.db must be replaced
-/+ resource "aws_security_group" "db" {
    }

Plan: 1 to add, 0 to change, 2 to destroy.
`;

const count = (s: ReturnType<typeof summarizeRisk>, k: RiskKind) => s.items.filter((i) => i.kind === k);

describe('summarizeRisk on Kubernetes manifests', () => {
  const s = summarizeRisk(parseDiff(K8S).files);

  it('finds replica changes, worse when scaling down', () => {
    const r = count(s, 'replicas');
    assert.deepEqual(
      r.map((i) => i.text),
      ['replicas 6 → 2', 'replicas 3 removed'],
    );
    assert.equal(r[0]!.text, 'replicas 6 → 2');
    assert.equal(r[0]!.severity, 'high');
    assert.equal(r[0]!.line, 8);
    assert.equal(r[0]!.file, 'manifests/api-deployment.yaml');
  });

  it('finds image and tag changes, including --*-image= arguments', () => {
    const im = count(s, 'image').map((i) => i.text);
    assert.deepEqual(im, ['registry.example.com/shop/api:v1.4.2 → :v1.5.0', 'quay.io/x/reloader:v0.5.0 → ghcr.io/x/reloader:v0.13.1']);
  });

  it('finds deleted files and resources removed from a multi-document file', () => {
    const d = count(s, 'deleted-resource');
    assert.deepEqual(
      d.map((i) => [i.file, i.text, i.line]),
      [
        ['manifests/cache.yaml', 'StatefulSet removed', 7],
        ['manifests/old-worker.yaml', 'File deleted (Deployment)', null],
      ],
    );
    assert.ok(d.every((i) => i.severity === 'high'));
  });

  it('does not take a nested kind (subjects, roleRef) for a removed resource', () => {
    assert.ok(!s.items.some((i) => i.file === 'manifests/binding.yaml' && i.kind === 'deleted-resource'));
  });

  it('flags RBAC kinds and Secrets without copying secret values', () => {
    assert.deepEqual(
      count(s, 'rbac').map((i) => [i.file, i.text]),
      [['manifests/reader-role.yaml', 'ClusterRole changed (+1 −1)']],
    );
    const sec = count(s, 'secret');
    assert.deepEqual(
      sec.map((i) => [i.file, i.text]),
      [['manifests/db-credentials.yaml', 'Secret changed (+1 −1)']],
    );
    assert.ok(!JSON.stringify(s).includes('c3VwZXJzZWNyZXQ='));
  });

  it('points each item at its place in the diff', () => {
    const r = count(s, 'replicas')[0]!;
    assert.equal(r.fileIndex, 0);
    assert.equal(r.hunkIndex, 0);
    assert.equal(r.lineIndex, 4);
    assert.equal(s.counts.image, 2);
    assert.equal(s.truncated, false);
  });
});

describe('summarizeRisk on Terraform', () => {
  it('flags removed resource and module blocks in .tf files', () => {
    const s = summarizeRisk(parseDiff(TERRAFORM_TF).files);
    assert.deepEqual(
      count(s, 'terraform-destroy').map((i) => i.text),
      ['resource "aws_s3_bucket" "logs" removed', 'module "vpc" removed'],
    );
  });

  it('reads plan output pasted as the whole text', () => {
    const s = summarizeRisk(parseDiff(PLAN).files);
    assert.deepEqual(
      count(s, 'terraform-destroy').map((i) => i.text),
      ['aws_instance.web[0] will be destroyed', '- resource "aws_instance" "web"', 'Plan: 2 to destroy (1 to add, 0 to change)'],
    );
  });

  it('reads plan output inside a diff (a committed plan file)', () => {
    const diff = `diff --git a/plan.txt b/plan.txt\n--- a/plan.txt\n+++ b/plan.txt\n@@ -1,1 +1,2 @@\n-Plan: 1 to add, 0 to change, 0 to destroy.\n+  # google_sql_database.main will be destroyed\n+Plan: 0 to add, 0 to change, 1 to destroy.\n`;
    const s = summarizeRisk(parseDiff(diff).files);
    assert.equal(count(s, 'terraform-destroy').length, 2);
  });

  it('finds nothing in a harmless change', () => {
    const s = summarizeRisk(parseDiff('--- a/README.md\n+++ b/README.md\n@@ -1 +1 @@\n-Hello\n+Hello, world\n').files);
    assert.equal(s.items.length, 0);
  });
});

describe('summarizeRisk on the kube-prometheus v0.13 → v0.14 diff', () => {
  it('lists the image bumps, RBAC and Secret files', () => {
    const files = parseDiff(kubePrometheusDiff()).files;
    const s = summarizeRisk(files);
    const images = count(s, 'image');
    assert.ok(images.some((i) => i.text === 'quay.io/prometheus/alertmanager:v0.26.0 → :v0.27.0'));
    assert.ok(images.some((i) => i.text === 'quay.io/prometheus-operator/prometheus-config-reloader:v0.67.1 → :v0.76.2'));
    assert.ok(images.length >= 15);
    assert.ok(count(s, 'rbac').some((i) => i.file === 'manifests/blackboxExporter-clusterRoleBinding.yaml'));
    assert.deepEqual(
      count(s, 'secret').map((i) => i.file),
      ['manifests/alertmanager-secret.yaml'],
    );
    assert.equal(count(s, 'terraform-destroy').length, 0);
  });
});
