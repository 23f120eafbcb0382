import type { Site } from '../../src/config/topology-schema.js';
import { siteSchema } from '../../src/config/topology-schema.js';

/**
 * The lab's address plan. Every address lives only inside the lab's network namespaces
 * (10.99/16 = the VPC, 198.18/15 = the WAN, 10.20/16 + 10.21/16 = on-prem, 100.64/16 = tunnel nets).
 */
export const TUNNELS = ['primary', 'secondary'] as const;
export type LabTunnel = (typeof TUNNELS)[number];

export const VPC_CIDR = '10.99.0.0/16';
export const APP_IP = '10.99.1.10';
/** The VPC router's address on the app subnet; every server host routes to it (the lab's Slack listens here). */
export const VPC_ROUTER_IP = '10.99.1.1';
export const SERVICE_IP = '10.20.0.10';
export const SERVICE_TCP_IP = '10.20.0.11';
export const SERVICE_TCP_PORT = 443;
export const SERVICE_IP_2 = '10.21.0.10';
export const IPERF_PORT = 5201;

/** Two "VPC route tables": Linux routing tables in the vpc-router namespace, chosen by source subnet. */
export const ROUTE_TABLES: Record<string, { table: number; from: string }> = {
  'rtb-0000000000000a101': { table: 101, from: '10.99.1.0/24' },
  'rtb-0000000000000a102': { table: 102, from: '10.99.4.0/24' },
  'rtb-0000000000000a103': { table: 103, from: '10.99.5.0/24' },
};
/** The usual lab site uses two route tables x two CIDRs; bench:failover's many-routes run uses 3 x 4. */
const TWO_TABLES = Object.keys(ROUTE_TABLES).slice(0, 2);
export const MANY_ROUTES = {
  routeTableIds: Object.keys(ROUTE_TABLES),
  onPremCidrs: ['10.20.0.0/16', '10.21.0.0/16', '10.22.0.0/16', '10.23.0.0/16'],
};

/** Routing tables of the lab's VPC router, by route table id (what the netns route adapter maps). */
export const routeTableNumbers = (ids: readonly string[]): Record<string, number> =>
  Object.fromEntries(ids.map((id) => [id, ROUTE_TABLES[id]!.table]));

export interface TunnelPlan {
  /** Server host address on the VPC side: the route tables' next hop for this tunnel. */
  serverVpcIp: string;
  vpcRouterIp: string;
  serverWanIp: string;
  serverWanGw: string;
  clientWanIp: string;
  clientWanGw: string;
  clientLanIp: string;
  onPremRouterIp: string;
  tunnelNetwork: string;
}

export const PLAN: Record<LabTunnel, TunnelPlan> = {
  primary: {
    serverVpcIp: '10.99.2.10',
    vpcRouterIp: '10.99.2.1',
    serverWanIp: '198.18.1.2',
    serverWanGw: '198.18.1.1',
    clientWanIp: '198.18.11.2',
    clientWanGw: '198.18.11.1',
    clientLanIp: '10.20.1.2',
    onPremRouterIp: '10.20.1.1',
    tunnelNetwork: '100.64.1.0/24',
  },
  secondary: {
    serverVpcIp: '10.99.3.10',
    vpcRouterIp: '10.99.3.1',
    serverWanIp: '198.18.2.2',
    serverWanGw: '198.18.2.1',
    clientWanIp: '198.18.12.2',
    clientWanGw: '198.18.12.1',
    clientLanIp: '10.20.2.2',
    onPremRouterIp: '10.20.2.1',
    tunnelNetwork: '100.64.2.0/24',
  },
};

/**
 * The failover settings the README recommends for production (and tunnels.yml ships): probe every 0.5 s, down
 * after 3 failed rounds, up after 5 good ones, a 10 s heartbeat limit for deciders without a view of the host.
 * The lab, its tests and bench:failover use exactly these; the 10%-loss scenario shows they stay calm.
 */
export const RECOMMENDED_FAILOVER = {
  probeIntervalSeconds: 0.5,
  fall: 3,
  rise: 5,
  heartbeatStaleSeconds: 10,
} as const;

/** The lab site as tunnels.yml would describe it, mode auto; cooldown and cap opened for back-to-back trials. */
export function labSite(
  overrides: Partial<Site['failover']> = {},
  routes: { routeTableIds: string[]; onPremCidrs: string[] } = {
    routeTableIds: TWO_TABLES,
    onPremCidrs: ['10.20.0.0/16', '10.21.0.0/16'],
  },
): Site {
  return siteSchema.parse({
    name: 'lab',
    region: 'us-east-1',
    ...routes,
    probeTargets: [
      { kind: 'icmp', host: SERVICE_IP },
      { kind: 'tcp', host: SERVICE_TCP_IP, port: SERVICE_TCP_PORT },
      // A target in the second on-prem CIDR: a round fails only when all three fail.
      { kind: 'icmp', host: SERVICE_IP_2 },
    ],
    tunnels: TUNNELS.map((name) => ({
      name,
      ecs: { cluster: 'tunnelops-lab', service: `lab-${name}` },
      instance: { tag: { key: 'tunnelops:tunnel', value: `lab-${name}` } },
      onPremPublicIp: PLAN[name].clientWanIp,
    })),
    failover: {
      mode: 'auto',
      ...RECOMMENDED_FAILOVER,
      // Flap guards off: the tests and the bench fail over many times an hour on purpose.
      cooldownSeconds: 0,
      maxAutomaticPerHour: 60,
      ...overrides,
    },
    approvers: { users: ['UAPPROVER1', 'UAPPROVER2'] },
    slackChannel: 'C0LAB00001',
  });
}
