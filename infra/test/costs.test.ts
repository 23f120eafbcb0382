import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { REPO_ROOT } from '../lib/common/repo-root.js';
import { costMarkdown } from '../lib/costs/cost-markdown.js';
import { NO_CHARGE, sharedLines, siteLines } from '../lib/costs/cost-table.js';
import { resourcesOfType, synthesize, type Template } from './helpers/synth.js';

let templates: Record<string, Template>;
beforeAll(() => {
  templates = synthesize().templates;
});

const typesIn = (ts: Template[]) =>
  new Set(ts.flatMap((t) => Object.values(t.Resources).map((r: any) => r.Type)));
const count = (stacks: string[], type: string, keep: (r: Template) => boolean = () => true) =>
  stacks.flatMap((s) => resourcesOfType(templates[s]!, type)).filter(([, r]) => keep(r)).length;
const SITE = ['TunnelOps-dc1', 'TunnelOps-dc1-primary', 'TunnelOps-dc1-secondary', 'TunnelOps-dc1-control'];

describe('the cost table (docs/costs.md)', () => {
  it('accounts for every resource type in the synthesized templates: a cost line, or no charge and why', () => {
    const costed = new Set([...siteLines(), ...sharedLines()].flatMap((l) => l.types));
    const unaccounted = [...typesIn(Object.values(templates))].filter((t) => !costed.has(t) && !NO_CHARGE[t]);
    expect(unaccounted).toEqual([]);
    // And names no type the templates no longer have (a stale line).
    const present = typesIn(Object.values(templates));
    expect([...costed, ...Object.keys(NO_CHARGE)].filter((t) => !present.has(t))).toEqual([]);
  });

  it("counts what a site's templates create: 2 Elastic IPs, 4 high-resolution and 19 standard alarms, 3 KMS keys", () => {
    expect(count(SITE, 'AWS::EC2::EIP')).toBe(2);
    const period = (r: Template) => r.Properties.Period ?? 60;
    expect(count(SITE, 'AWS::CloudWatch::Alarm', (r) => period(r) < 60)).toBe(4);
    expect(count(SITE, 'AWS::CloudWatch::Alarm', (r) => period(r) >= 60)).toBe(19);
    expect(count(SITE, 'AWS::KMS::Key')).toBe(3);
    expect(count(SITE, 'AWS::AutoScaling::AutoScalingGroup')).toBe(2);
    const shared = ['TunnelOps-Shared', 'TunnelOps-Images'];
    expect(count(shared, 'AWS::KMS::Key')).toBe(2);
    expect(count(shared, 'AWS::SecretsManager::Secret')).toBe(3);
    expect(count(shared, 'AWS::CloudWatch::Alarm')).toBe(3);
    const bot = resourcesOfType(templates['TunnelOps-Shared']!, 'AWS::ECS::TaskDefinition')[0]![1];
    expect([bot.Properties.Cpu, bot.Properties.Memory]).toEqual(['512', '1024']);
  });

  it('is the committed file, generated from infra/lib/costs (run `npm run docs` after changing it)', () => {
    expect(readFileSync(join(REPO_ROOT, 'docs/costs.md'), 'utf8')).toBe(costMarkdown());
  });
});
