import type { Topology } from '../config/topology-schema.js';
import type { AlarmEvent } from './alarm-event.js';
import { findSite, findTunnel } from './topology.js';

export interface AlarmTarget {
  site: string;
  tunnel?: string;
  via: 'dimensions' | 'name' | 'ecs';
}

export const ALARM_NAME_PREFIX = 'tunnelops-';

/**
 * Which site (and tunnel) an alarm or task is about: metric dimensions Site/Tunnel (what the monitor
 * publishes), the alarm name `tunnelops-<site>-<tunnel>-...`, or the ECS cluster/service of a tunnel.
 * Null when nothing matches: such alarms are still posted, marked as not mapped.
 */
export function mapAlarm(topology: Topology, event: AlarmEvent): AlarmTarget | null {
  return byDimensions(topology, event) ?? byEcs(topology, event) ?? byName(topology, event.name);
}

function byDimensions(topology: Topology, event: AlarmEvent): AlarmTarget | null {
  const dims = event.metric?.dimensions;
  const siteName = dims?.Site;
  if (!siteName) return null;
  const site = findSite(topology, siteName);
  if (!site) return null;
  const tunnel = dims.Tunnel === undefined ? undefined : findTunnel(site, dims.Tunnel);
  return { site: site.name, ...(tunnel ? { tunnel: tunnel.name } : {}), via: 'dimensions' };
}

function byEcs(topology: Topology, event: AlarmEvent): AlarmTarget | null {
  const cluster = event.ecs?.cluster ?? event.metric?.dimensions.ClusterName;
  const service = event.ecs?.service ?? event.metric?.dimensions.ServiceName;
  if (!cluster || !service) return null;
  for (const site of topology.sites) {
    const tunnel = site.tunnels.find((t) => t.ecs.cluster === cluster && t.ecs.service === service);
    if (tunnel) return { site: site.name, tunnel: tunnel.name, via: 'ecs' };
  }
  return null;
}

/** Site names may contain dashes, so try every site/tunnel and keep the longest prefix that matches. */
function byName(topology: Topology, name: string): AlarmTarget | null {
  if (!name.startsWith(ALARM_NAME_PREFIX)) return null;
  let best: { target: AlarmTarget; length: number } | null = null;
  for (const site of topology.sites) {
    const sitePrefix = `${ALARM_NAME_PREFIX}${site.name}-`;
    if (!name.startsWith(sitePrefix) && name !== `${ALARM_NAME_PREFIX}${site.name}`) continue;
    const consider = (target: AlarmTarget, length: number) => {
      if (!best || length > best.length) best = { target, length };
    };
    consider({ site: site.name, via: 'name' }, sitePrefix.length);
    for (const tunnel of site.tunnels) {
      const prefix = `${sitePrefix}${tunnel.name}`;
      if (name === prefix || name.startsWith(`${prefix}-`))
        consider({ site: site.name, tunnel: tunnel.name, via: 'name' }, prefix.length + 1);
    }
  }
  return (best as { target: AlarmTarget } | null)?.target ?? null;
}
