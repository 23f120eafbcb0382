import type { Site } from '../config/topology-schema.js';
import type { InstanceState } from '../domain/observations.js';
import { type Outcome, ok, unknown } from '../domain/outcome.js';
import { tunnelKey } from '../domain/topology.js';
import type { Instances } from '../ports/instances.js';
import type { TunnelInstanceResolver } from './tunnel-instance-resolver.js';

const describeDiscovery = (instance: Site['tunnels'][number]['instance']): string =>
  'instanceId' in instance
    ? `instance ${instance.instanceId}`
    : `tag ${instance.tag.key}=${instance.tag.value}`;

/** Each tunnel's EC2 instance and state, from the lookup the route tables share (no extra call). */
export class Ec2Instances implements Instances {
  constructor(private readonly props: { resolver: TunnelInstanceResolver }) {}

  async observe(sites: readonly Site[]): Promise<Map<string, Outcome<InstanceState>>> {
    const resolution = await this.props.resolver.resolve(sites);
    const result = new Map<string, Outcome<InstanceState>>();
    for (const site of sites) {
      for (const t of site.tunnels) {
        const key = tunnelKey(site.name, t.name);
        const found = resolution.get(key) ?? unknown('not looked up');
        if (!found.ok) result.set(key, found);
        else if (!found.value)
          result.set(key, unknown(`no EC2 instance matches ${describeDiscovery(t.instance)}`));
        else result.set(key, ok({ instanceId: found.value.instanceId, state: found.value.state }));
      }
    }
    return result;
  }
}
