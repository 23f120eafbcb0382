import type { Site, Tunnel } from '../../../src/config/topology-schema.js';
import { ConfigError } from '../../../src/domain/errors.js';
import type { InfraContext } from './infra-context.js';

/** A tunnel with what infra needs resolved from the topology and the context. */
export interface PlacedTunnel {
  tunnel: Tunnel;
  role: 'primary' | 'secondary';
  availabilityZone: string;
  publicSubnetId: string;
  onPremPublicIp: string;
  /** Tag that identifies this tunnel's instance (the bot and controller find it by this tag). */
  instanceTag: { key: string; value: string };
}

export interface PlacedSite {
  site: Site;
  tunnels: [PlacedTunnel, PlacedTunnel];
  /** Distinct ECS cluster names of the site's tunnels (usually one). */
  clusterNames: string[];
}

/**
 * Places the two tunnels of a site in different AZs (the topology's `availabilityZone`, else the
 * context's first and second AZ, swapped for every other site with `primaryPlacement: alternate`; `siteIndex` is the
 * site's place in the topology). Throws ConfigError with the fix when infra cannot honour the topology.
 */
export function placeSite(site: Site, ctx: InfraContext, siteIndex = 0): PlacedSite {
  const where = `site ${site.name}`;
  if (site.region !== ctx.region) {
    throw new ConfigError(
      `${where} is in ${site.region} but this app deploys to ${ctx.region}: deploy one app per region (set -c region and -c topology to a file with that region's sites)`,
    );
  }
  const placed = site.tunnels.map((tunnel, i): PlacedTunnel => {
    const swap = ctx.primaryPlacement === 'alternate' && siteIndex % 2 === 1;
    const az = tunnel.availabilityZone ?? ctx.availabilityZones[swap ? 1 - i : i];
    const index = az ? ctx.availabilityZones.indexOf(az) : -1;
    const subnet = ctx.publicSubnetIds[index];
    if (!az || index < 0 || !subnet) {
      throw new ConfigError(
        `${where} tunnel ${tunnel.name}: availability zone ${az} is not in -c availabilityZones (${ctx.availabilityZones.join(', ')})`,
      );
    }
    if (!tunnel.onPremPublicIp) {
      throw new ConfigError(
        `${where} tunnel ${tunnel.name}: set onPremPublicIp in the topology; the security group admits UDP 1194 only from it`,
      );
    }
    if (!('tag' in tunnel.instance)) {
      throw new ConfigError(
        `${where} tunnel ${tunnel.name}: infra creates the instance, so identify it by instance.tag, not a fixed instanceId`,
      );
    }
    return {
      tunnel,
      role: i === 0 ? 'primary' : 'secondary',
      availabilityZone: az,
      publicSubnetId: subnet,
      onPremPublicIp: tunnel.onPremPublicIp,
      instanceTag: tunnel.instance.tag,
    };
  });
  const [primary, secondary] = placed;
  if (!primary || !secondary) throw new ConfigError(`${where}: a site has exactly two tunnels`);
  if (primary.availabilityZone === secondary.availabilityZone) {
    throw new ConfigError(
      `${where}: both tunnels are in ${primary.availabilityZone}; put them in different availability zones`,
    );
  }
  return {
    site,
    tunnels: [primary, secondary],
    clusterNames: [...new Set(site.tunnels.map((t) => t.ecs.cluster))],
  };
}
