// A Terraform plan pasted as `terraform show -json` prints it, checked as POST /api/requests checks
// a request's plan, so a plan Try it accepts is one a request could carry.
import { MAX_PLAN_CHARS } from '../../../shared/schemas/api.ts';
import { TerraformPlan } from '../../../shared/schemas/index.ts';

export type PlanInput = { ok: true; plan: TerraformPlan | undefined } | { ok: false; message: string };

/** Blank: no plan. */
export function parsePlan(text: string): PlanInput {
  const t = text.trim();
  if (t === '') return { ok: true, plan: undefined };
  if (t.length > MAX_PLAN_CHARS) return { ok: false, message: `The plan is longer than ${MAX_PLAN_CHARS.toLocaleString('en')} characters of JSON.` };
  let json: unknown;
  try {
    json = JSON.parse(t);
  } catch (e) {
    return { ok: false, message: `The plan is not JSON: ${(e as Error).message}` };
  }
  const parsed = TerraformPlan.safeParse(json);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    const at = i.path.length ? `${i.path.map(String).join('.')}: ` : '';
    return { ok: false, message: `Not a Terraform plan (terraform show -json): ${at}${i.message}` };
  }
  return { ok: true, plan: parsed.data };
}
