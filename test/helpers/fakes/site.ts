/**
 * The site tests build on, as topology input (before zod): dc1 in us-east-1 with 2 route tables x 2
 * on-prem CIDRs = 4 routes, and tunnels primary and secondary, each an ECS service on an EC2 instance.
 * Pass `overrides` for what a test is about (failover settings, probe targets, a site name).
 */
export function siteInput(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'dc1',
    region: 'us-east-1',
    onPremCidrs: ['10.20.0.0/16', '10.21.0.0/16'],
    routeTableIds: ['rtb-0a1b2c3d4e5f60718', 'rtb-0a1b2c3d4e5f60719'],
    probeTargets: [{ kind: 'icmp', host: '10.20.0.10' }],
    tunnels: [
      {
        name: 'primary',
        ecs: { cluster: 'tunnelops-dc1', service: 'dc1-primary' },
        instance: { instanceId: 'i-0aaaaaaaaaaaaaaa1' },
      },
      {
        name: 'secondary',
        ecs: { cluster: 'tunnelops-dc1', service: 'dc1-secondary' },
        instance: { instanceId: 'i-0bbbbbbbbbbbbbbb2' },
      },
    ],
    approvers: { users: ['UAPPROVER1', 'UAPPROVER2'] },
    slackChannel: 'C0SANDBOX1',
    ...overrides,
  };
}

/** Topology input with the one site. */
export const topologyInput = (overrides: Record<string, unknown> = {}) => ({
  sites: [siteInput(overrides)],
});
