import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePlan } from './plan-input.ts';

test('blank is no plan', () => {
  assert.deepEqual(parsePlan('  \n'), { ok: true, plan: undefined });
});

test('a plan is kept as written, unknown fields too', () => {
  const plan = { format_version: '1.2', resource_changes: [{ address: 'aws_db_instance.main', change: { actions: ['delete'] } }] };
  assert.deepEqual(parsePlan(JSON.stringify(plan)), { ok: true, plan });
});

test('not JSON, or not a plan: said so, with where', () => {
  const bad = parsePlan('{"resource_changes": [');
  assert.equal(bad.ok, false);
  assert.match((bad as { message: string }).message, /^The plan is not JSON: /);
  const wrong = parsePlan('{"resource_changes": [{"address": 1, "change": {"actions": []}}]}');
  assert.equal(wrong.ok, false);
  assert.match((wrong as { message: string }).message, /^Not a Terraform plan \(terraform show -json\): resource_changes\.0\.address: /);
});

test('too long: refused before parsing', () => {
  const r = parsePlan(`{"x": "${'a'.repeat(1_048_576)}"}`);
  assert.equal(r.ok, false);
  assert.match((r as { message: string }).message, /longer than 1,048,576 characters/);
});
