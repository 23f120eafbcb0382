import { type Topology, topologySchema } from '../../src/config/topology-schema.js';

/** The two AZs of the bench region; the outage takes the first. */
export const FLEET_REGION = 'us-east-1';
export const AZ_A = 'us-east-1a';
export const AZ_B = 'us-east-1b';

export type Placement = 'balanced' | 'unbalanced';

/**
 * A fleet as infra/ deploys it, in one region: each site with 2 route tables and 2 on-prem CIDRs (in one prefix list
 * per site, so one route per table; `cidrs`: a route per CIDR and table, as deployed before the option), its two tunnels
 * in different AZs, failover automatic with the recommended settings (0.5 s rounds, fall 3, rise 5). Balanced:
 * primaries alternate between the two AZs; unbalanced: every primary in the first AZ.
 */
export function fleetTopology(
  sites: number,
  placement: Placement,
  routeDestination: 'cidrs' | 'prefix-list' = 'prefix-list',
): Topology {
  const width = String(sites).length;
  return topologySchema.parse({
    sites: Array.from({ length: sites }, (_, i) => {
      const n = i + 1;
      const name = `site${String(n).padStart(width, '0')}`;
      const primaryAz = placement === 'unbalanced' || n % 2 === 1 ? AZ_A : AZ_B;
      const hex = (k: number) => (n * 4 + k).toString(16).padStart(17, '0');
      return {
        name,
        region: FLEET_REGION,
        onPremCidrs: [
          `10.${Math.floor(n / 250)}.${n % 250}.0/24`,
          `172.${16 + Math.floor(n / 250)}.${n % 250}.0/24`,
        ],
        routeTableIds: [`rtb-${hex(0)}`, `rtb-${hex(1)}`],
        routeDestination,
        probeTargets: [{ kind: 'icmp', host: `10.200.${Math.floor(n / 250)}.${(n % 250) + 1}` }],
        tunnels: ['primary', 'secondary'].map((t) => ({
          name: t,
          ecs: { cluster: `tunnelops-${name}`, service: `${name}-${t}` },
          instance: { tag: { key: 'tunnelops:tunnel', value: `${name}-${t}` } },
          availabilityZone: t === 'primary' ? primaryAz : primaryAz === AZ_A ? AZ_B : AZ_A,
        })),
        failover: {
          mode: 'auto',
          probeIntervalSeconds: 0.5,
          fall: 3,
          rise: 5,
          heartbeatStaleSeconds: 10,
        },
        approvers: { users: ['UAPPROVER1', 'UAPPROVER2'] },
        slackChannel: 'C0FLEET001',
      };
    }),
  });
}

/** The AZ of a tunnel (the topology names it for every fleet tunnel). */
export function azOf(topology: Topology, site: string, tunnel: string): string {
  const t = topology.sites.find((s) => s.name === site)?.tunnels.find((x) => x.name === tunnel);
  if (!t?.availabilityZone) throw new Error(`no AZ for ${site}/${tunnel}`);
  return t.availabilityZone;
}
