import { beforeAll, describe, expect, it } from '@jest/globals';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { type Synthesized, synthesize } from './helpers/synth.js';

interface Ack {
  path: string;
  id: string;
  reason: string;
}

/** Every acknowledgement recorded on the construct tree (cdk-nag 3 uses CDK's Validations metadata). */
function acknowledgements(root: IConstruct): Ack[] {
  return root.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) =>
        Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({
          path: c.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

describe('cdk-nag AwsSolutions', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthesize({ nag: true });
  });

  it('reports no unacknowledged error or warning in any stack', () => {
    const report = new AwsSolutionsChecks(synth.app).validateScope(synth.app);
    const findings = report.violations.map(
      (v) => `${v.severity} ${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    expect(findings).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('gives every acknowledgement a written reason, and IAM wildcards their exact finding ids', () => {
    const acks = acknowledgements(synth.app).filter((a) => a.id.startsWith('AwsSolutions-'));
    expect(acks.length).toBeGreaterThan(10);
    for (const a of acks) {
      expect(a.reason.trim().length).toBeGreaterThanOrEqual(40);
      if (/^AwsSolutions-IAM[45]/.test(a.id))
        expect(a.id).toMatch(/^AwsSolutions-IAM[45]\[(Resource|Action|Policy)::.+\]$/);
    }
    expect(acks.map((a) => a.id)).not.toContain('AwsSolutions-IAM5');
  });

  it('writes the acknowledged findings and reasons into the templates for review', () => {
    const inTemplates = Object.values(synth.templates).flatMap((t) =>
      Object.values(t.Resources ?? {}).flatMap(
        (r) =>
          (r as { Metadata?: { cdk_nag?: { rules_to_suppress: Ack[] } } }).Metadata?.cdk_nag
            ?.rules_to_suppress ?? [],
      ),
    );
    expect(inTemplates.length).toBeGreaterThan(10);
    for (const rule of inTemplates) expect(rule.reason.length).toBeGreaterThanOrEqual(40);
  });

  it('does find problems when there are some (the check is not vacuous)', () => {
    const app = new App();
    const stack = new Stack(app, 'Bad');
    new s3.Bucket(stack, 'Plain');
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(report.violations.map((v) => v.ruleName)).toEqual(
      expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-S10']),
    );
  });
});
