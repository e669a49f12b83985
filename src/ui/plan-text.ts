import type { StagePlan } from '../plan/change-reason.js';
import { describeReason } from './change-reason-text.js';

/** `status` / `repro --dry` text: one header line per stage, its reasons indented below. */
export function renderPlan(plans: readonly StagePlan[], mode: 'status' | 'dry'): string {
  const lines: string[] = [];
  for (const plan of plans) {
    lines.push(`${plan.stage}: ${headline(plan, mode)}`);
    for (const r of plan.reasons) lines.push(`    ${describeReason(r)}`);
  }
  const pending = plans.filter((p) => p.action !== 'skip').length;
  if (mode === 'status') {
    lines.push(pending === 0 ? 'Everything is up to date.' : `${pending} of ${plans.length} stage${plans.length === 1 ? '' : 's'} not up to date.`);
  } else {
    lines.push(pending === 0 ? 'Nothing to do.' : `Would run or restore ${pending} of ${plans.length} stage${plans.length === 1 ? '' : 's'}; nothing was changed (--dry).`);
  }
  return lines.join('\n');
}

function headline(plan: StagePlan, mode: 'status' | 'dry'): string {
  const will = mode === 'status' ? 'will' : 'would';
  switch (plan.action) {
    case 'skip':
      return plan.frozen ? 'frozen, skipped' : 'up to date';
    case 'restore':
      return `${will} restore from ${plan.restoreFrom === 'run-cache' ? 'the run-cache' : 'the cache'}`;
    case 'run':
      return `${will} run`;
  }
}
