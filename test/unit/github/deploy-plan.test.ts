import { describe, expect, it } from '@jest/globals';
import { planDeploy } from '../../../src/domain/deploy-plan.js';
import { demoTopology } from '../../helpers/test-app.js';

const topology = demoTopology();

describe('deploy order', () => {
  it('deploys the standby first, moves traffic to it, then deploys the formerly active tunnel', () => {
    const steps = planDeploy({
      topology,
      stacks: ['tunnelops-shared', 'tunnelops-dc1-primary', 'tunnelops-dc1-secondary'],
      active: { dc1: 'primary' },
    });
    expect(steps).toEqual([
      { kind: 'deploy', stacks: ['tunnelops-shared'] },
      { kind: 'deploy', stacks: ['tunnelops-dc1-secondary'] },
      { kind: 'wait-healthy', site: 'dc1', tunnel: 'secondary' },
      { kind: 'failover', site: 'dc1', to: 'secondary' },
      { kind: 'deploy', stacks: ['tunnelops-dc1-primary'] },
      { kind: 'wait-healthy', site: 'dc1', tunnel: 'primary' },
    ]);
  });

  it('never deploys the active tunnel while it carries traffic', () => {
    for (const active of ['primary', 'secondary']) {
      const steps = planDeploy({
        topology,
        stacks: ['tunnelops-dc1-primary', 'tunnelops-dc1-secondary'],
        active: { dc1: active },
      });
      const deployActive = steps.findIndex(
        (s) => s.kind === 'deploy' && s.stacks[0] === `tunnelops-dc1-${active}`,
      );
      const failover = steps.findIndex((s) => s.kind === 'failover');
      expect(failover).toBeGreaterThanOrEqual(0);
      expect(failover).toBeLessThan(deployActive);
      // Only one tunnel stack per deploy step: both tunnels are never in flight together.
      expect(
        steps.filter((s) => s.kind === 'deploy').every((s) => s.kind === 'deploy' && s.stacks.length === 1),
      ).toBe(true);
    }
  });

  it('deploys a standby-only change without any failover', () => {
    const steps = planDeploy({ topology, stacks: ['tunnelops-dc1-secondary'], active: { dc1: 'primary' } });
    expect(steps.map((s) => s.kind)).toEqual(['deploy', 'wait-healthy']);
  });
});
