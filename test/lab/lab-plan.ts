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
export const SERVICE_IP = '10.20.0.10';
export const SERVICE_TCP_IP = '10.20.0.11';
export const SERVICE_TCP_PORT = 443;
export const SERVICE_IP_2 = '10.21.0.10';
export const IPERF_PORT = 5201;

/** Two "VPC route tables": Linux routing tables in the vpc-router namespace, chosen by source subnet. */
export const ROUTE_TABLES: Record<string, { table: number; from: string }> = {
  'rtb-0000000000000a101': { table: 101, from: '10.99.1.0/24' },
  'rtb-0000000000000a102': { table: 102, from: '10.99.4.0/24' },
};

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

/** The lab site as tunnels.yml would describe it; failover settings tuned for seconds, not minutes. */
export function labSite(overrides: Partial<Site['failover']> = {}): Site {
  return siteSchema.parse({
    name: 'lab',
    region: 'us-east-1',
    onPremCidrs: ['10.20.0.0/16', '10.21.0.0/16'],
    routeTableIds: Object.keys(ROUTE_TABLES),
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
      probeIntervalSeconds: 0.5,
      fall: 3,
      rise: 3,
      cooldownSeconds: 0,
      maxAutomaticPerHour: 20,
      heartbeatStaleSeconds: 5,
      ...overrides,
    },
    approvers: { users: ['UAPPROVER1', 'UAPPROVER2'] },
    slackChannel: 'C0LAB00001',
  });
}
