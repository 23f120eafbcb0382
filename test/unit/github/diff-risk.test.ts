import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { parseCdkDiffText, summarizeDiff } from '../../../src/domain/cdk-diff.js';
import { assessTunnelRisk, riskJustification } from '../../../src/domain/tunnel-risk.js';
import { MAX_COMMENT, renderDiffComment, riskConclusion } from '../../../src/github/diff-comment.js';
import { demoTopology } from '../../helpers/test-app.js';

const recorded = readFileSync('test/fixtures/cdk/multi-stack-example.txt', 'utf8');

describe('cdk diff parsing and tunnel risk', () => {
  it('parses stacks and resource changes from cdk diff text', () => {
    const diff = parseCdkDiffText(`\u001b[1m${recorded}\u001b[22m`);
    expect(diff.stacks.map((s) => s.stack)).toEqual(['tunnelops-dc1', 'tunnelops-shared']);
    expect(summarizeDiff(diff)).toEqual([
      { stack: 'tunnelops-dc1', add: 1, modify: 1, replace: 1, destroy: 0 },
      { stack: 'tunnelops-shared', add: 0, modify: 1, replace: 0, destroy: 0 },
    ]);
  });

  it('calls out the replaced primary instance and what it means for traffic', () => {
    const risk = assessTunnelRisk(demoTopology(), parseCdkDiffText(recorded));
    expect(risk.risks.map((r) => [r.site, r.tunnel, r.disruption])).toEqual([
      ['dc1', 'primary', 'replaces-instance'],
      ['dc1', 'primary', 'replaces-instance'],
    ]);
    expect(risk.risks[1]!.message).toContain('traffic will fail over to secondary');
    expect(risk.bothTunnelsDown).toEqual([]);
    expect(riskConclusion(risk, null)).toBe('neutral');
  });

  it('fails when one deploy takes down both tunnels of a site, unless the PR says why', () => {
    const both = `${recorded}\nStack tunnelops-dc1-b\nResources\n[~] AWS::ECS::TaskDefinition dc1/secondary/TaskDef dc1secondaryTaskDef11AA22BB replace\n`;
    const risk = assessTunnelRisk(demoTopology(), parseCdkDiffText(both));
    expect(risk.bothTunnelsDown).toEqual(['dc1']);
    expect(riskConclusion(risk, null)).toBe('failure');
    const why = riskJustification(
      'Moves both servers.\n\ntunnel-risk: maintenance window agreed with the DC team',
    );
    expect(why).toBe('maintenance window agreed with the DC team');
    expect(riskConclusion(risk, why)).toBe('neutral');
    expect(riskJustification('tunnel-risk: ok')).toBeNull();
  });

  it('reports no risk for changes that do not touch tunnels', () => {
    const risk = assessTunnelRisk(
      demoTopology(),
      parseCdkDiffText('Stack tunnelops-shared\nResources\n[+] AWS::SNS::Topic Alarms Alarms1234 \n'),
    );
    expect(risk.risks).toEqual([]);
    expect(riskConclusion(risk, null)).toBe('success');
  });

  it('truncates a huge diff with a link and stays under the comment limit', () => {
    const lines = Array.from(
      { length: 5000 },
      (_, i) => `[+] AWS::EC2::Route dc1/routes/Route${i} dc1routesRoute${i}ABCDEF `,
    );
    const diff = parseCdkDiffText(`Stack tunnelops-dc1\nResources\n${lines.join('\n')}\n`);
    const body = renderDiffComment({
      sha: 'a'.repeat(40),
      diff,
      risk: assessTunnelRisk(demoTopology(), diff),
      justification: null,
      detailsUrl: 'https://github.com/o/r/actions/runs/1',
    });
    expect(body.length).toBeLessThanOrEqual(MAX_COMMENT);
    expect(body).toContain('truncated');
    expect(body).toContain('[full diff](https://github.com/o/r/actions/runs/1)');
  });
});

describe('recorded cdk diff (infra/: primary instance type changed, `cdk diff TunnelOps-dc1-primary --template`)', () => {
  const text = readFileSync('test/fixtures/cdk/recorded-primary-instance-type.txt', 'utf8');

  it('finds the launch template change in the primary tunnel stack', () => {
    expect(parseCdkDiffText(text)).toEqual({
      stacks: [
        {
          stack: 'TunnelOps-dc1-primary',
          resources: [
            {
              change: 'modify',
              type: 'AWS::EC2::LaunchTemplate',
              path: 'Server/LaunchTemplate',
              logicalId: 'ServerLaunchTemplate3EDD7C5D',
            },
          ],
        },
      ],
    });
  });

  it('says the primary instance is replaced and traffic fails over to secondary', () => {
    const risk = assessTunnelRisk(demoTopology(), parseCdkDiffText(text));
    expect(risk.risks).toHaveLength(1);
    expect(risk.risks[0]).toMatchObject({ site: 'dc1', tunnel: 'primary', disruption: 'replaces-instance' });
    expect(risk.risks[0]!.message).toBe(
      'replaces the primary instance (AWS::EC2::LaunchTemplate modify): traffic will fail over to secondary',
    );
  });
});
