import type { CfnResource } from 'aws-cdk-lib';

export interface LintSuppression {
  /** cfn-lint rule id, e.g. W3005. */
  id: string;
  reason: string;
}

/**
 * A cfn-lint finding we accept, written into the resource's template metadata: `cfn-lint.config.ignore_checks`
 * (what cfn-lint reads) and `tunnelops:cfn-lint` with the reason beside it, for review.
 */
export function suppressCfnLint(resource: CfnResource, suppressions: LintSuppression[]): void {
  for (const s of suppressions)
    if (s.reason.trim().length < 40) throw new Error(`${s.id} on ${resource.node.path}: write a real reason`);
  resource.addMetadata('cfn-lint', { config: { ignore_checks: suppressions.map((s) => s.id) } });
  resource.addMetadata('tunnelops:cfn-lint', Object.fromEntries(suppressions.map((s) => [s.id, s.reason])));
}

/** CDK writes a DependsOn that a Ref/GetAtt already implies; harmless, and not ours to remove. */
export const REDUNDANT_DEPENDS_ON: LintSuppression = {
  id: 'W3005',
  reason:
    'CDK adds this DependsOn itself (next to the Ref/GetAtt that already orders the two resources); it is redundant, not wrong, and removing it would mean patching CDK output.',
};
