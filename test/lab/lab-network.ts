import {
  type LabTunnel,
  PLAN,
  ROUTE_TABLES,
  SERVICE_IP,
  SERVICE_IP_2,
  SERVICE_TCP_IP,
  TUNNELS,
} from './lab-plan.js';
import { inNs, sh } from './netns.js';

/** Namespace names of one lab, all starting with its unique prefix. */
export interface LabNamespaces {
  vpc: string;
  app: string;
  wan: string;
  onPremRouter: string;
  service: string;
  server: Record<LabTunnel, string>;
  client: Record<LabTunnel, string>;
}

export function namespacesFor(prefix: string): LabNamespaces {
  return {
    vpc: `${prefix}vpc`,
    app: `${prefix}app`,
    wan: `${prefix}wan`,
    onPremRouter: `${prefix}onp`,
    service: `${prefix}svc`,
    server: { primary: `${prefix}srv-primary`, secondary: `${prefix}srv-secondary` },
    client: { primary: `${prefix}cli-primary`, secondary: `${prefix}cli-secondary` },
  };
}

export const allNamespaces = (n: LabNamespaces): string[] => [
  n.vpc,
  n.app,
  n.wan,
  n.onPremRouter,
  n.service,
  ...Object.values(n.server),
  ...Object.values(n.client),
];

/** A veth pair straight between two namespaces (it never appears in the host's namespace). */
async function link(
  a: { ns: string; dev: string; ip: string },
  b: { ns: string; dev: string; ip: string },
): Promise<void> {
  await sh('ip', [
    'link',
    'add',
    'name',
    a.dev,
    'netns',
    a.ns,
    'type',
    'veth',
    'peer',
    'name',
    b.dev,
    'netns',
    b.ns,
  ]);
  for (const end of [a, b]) {
    await sh('ip', ['-n', end.ns, 'addr', 'add', end.ip, 'dev', end.dev]);
    await sh('ip', ['-n', end.ns, 'link', 'set', end.dev, 'up']);
  }
}

const route = (ns: string, ...args: string[]): Promise<string> =>
  sh('ip', ['-n', ns, 'route', 'add', ...args]);

/** The server host's own links (VPC side = its "ENI", WAN side) and routes; also how a replacement host is built. */
export async function buildServerHost(n: LabNamespaces, t: LabTunnel): Promise<void> {
  const p = PLAN[t];
  const i = TUNNELS.indexOf(t);
  const srv = n.server[t];
  await link(
    { ns: srv, dev: 'eth0', ip: `${p.serverVpcIp}/24` },
    { ns: n.vpc, dev: `srv${i + 1}`, ip: `${p.vpcRouterIp}/24` },
  );
  await link(
    { ns: srv, dev: 'wan0', ip: `${p.serverWanIp}/24` },
    { ns: n.wan, dev: `srv${i + 1}`, ip: `${p.serverWanGw}/24` },
  );
  await serverHostRoutes(n, t);
}

/** Server hosts reach the VPC and the WAN only: with the tunnel down, on-prem is unreachable, not misrouted. */
export async function serverHostRoutes(n: LabNamespaces, t: LabTunnel): Promise<void> {
  const p = PLAN[t];
  await route(n.server[t], '10.99.0.0/16', 'via', p.vpcRouterIp);
  await route(n.server[t], '198.18.0.0/15', 'via', p.serverWanGw);
}

/** Sets the server host's links down or up (down: the kernel drops its routes; up puts them back). */
export async function setServerLinks(n: LabNamespaces, t: LabTunnel, up: boolean): Promise<void> {
  for (const dev of ['eth0', 'wan0'])
    await sh('ip', ['-n', n.server[t], 'link', 'set', dev, up ? 'up' : 'down']);
  if (up) await serverHostRoutes(n, t);
}

/**
 * Builds the lab network: app host -> vpc router (route tables) -> server hosts -> WAN -> on-prem clients
 * -> on-prem router -> service host. The route tables initially point every on-prem CIDR at the primary.
 */
export async function buildNetwork(
  n: LabNamespaces,
  site: { onPremCidrs: readonly string[]; routeTableIds: readonly string[] },
): Promise<void> {
  const onPremCidrs = site.onPremCidrs;
  for (const ns of allNamespaces(n)) {
    await sh('ip', ['netns', 'add', ns]);
    await sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  }
  for (const ns of [n.vpc, n.wan, n.onPremRouter]) await inNs(ns, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);

  await link({ ns: n.app, dev: 'eth0', ip: '10.99.1.10/24' }, { ns: n.vpc, dev: 'app', ip: '10.99.1.1/24' });
  await route(n.app, 'default', 'via', '10.99.1.1');
  // The other route tables' subnets have no host: a veth looped inside the vpc router (no dummy module here).
  for (const [i, id] of site.routeTableIds.slice(1).entries()) {
    const net = ROUTE_TABLES[id]!.from.replace(/\.0\/24$/, '');
    await link(
      { ns: n.vpc, dev: `app${i + 2}`, ip: `${net}.1/24` },
      { ns: n.vpc, dev: `app${i + 2}peer`, ip: `${net}.2/24` },
    );
  }

  await link(
    { ns: n.service, dev: 'eth0', ip: `${SERVICE_IP}/24` },
    { ns: n.onPremRouter, dev: 'svc', ip: '10.20.0.1/24' },
  );
  for (const ip of [`${SERVICE_TCP_IP}/24`, `${SERVICE_IP_2}/24`]) {
    await sh('ip', ['-n', n.service, 'addr', 'add', ip, 'dev', 'eth0']);
  }
  await sh('ip', ['-n', n.onPremRouter, 'addr', 'add', '10.21.0.1/24', 'dev', 'svc']);
  await route(n.service, 'default', 'via', '10.20.0.1');

  for (const [i, t] of TUNNELS.entries()) {
    const p = PLAN[t];
    const cli = n.client[t];
    await buildServerHost(n, t);
    await link(
      { ns: cli, dev: 'wan0', ip: `${p.clientWanIp}/24` },
      { ns: n.wan, dev: `cli${i + 1}`, ip: `${p.clientWanGw}/24` },
    );
    await link(
      { ns: cli, dev: 'lan0', ip: `${p.clientLanIp}/24` },
      { ns: n.onPremRouter, dev: `cli${i + 1}`, ip: `${p.onPremRouterIp}/24` },
    );
    await route(cli, '198.18.0.0/15', 'via', p.clientWanGw);
    for (const cidr of onPremCidrs) await route(cli, cidr, 'via', p.onPremRouterIp);
  }

  for (const id of site.routeTableIds) {
    const rt = ROUTE_TABLES[id]!;
    await sh('ip', [
      '-n',
      n.vpc,
      'rule',
      'add',
      'from',
      rt.from,
      'lookup',
      String(rt.table),
      'pref',
      String(rt.table),
    ]);
    for (const cidr of onPremCidrs) {
      await route(n.vpc, cidr, 'via', PLAN.primary.serverVpcIp, 'table', String(rt.table));
    }
  }
}
