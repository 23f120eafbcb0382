import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { type App, type Environment, type Stack, Tags, Validations } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseTopology } from '../../src/config/load-topology.js';
import type { Topology } from '../../src/config/topology-schema.js';
import { ConfigError } from '../../src/domain/errors.js';
import { importVpc } from './common/import-vpc.js';
import { REPO_ROOT } from './common/repo-root.js';
import { type InfraContext, readInfraContext } from './config/infra-context.js';
import { placeSite } from './config/resolve-site.js';
import {
  alarmTopicName,
  controlStackName,
  imagesStackName,
  SHARED_ALARM_TOPIC,
  sharedStackName,
  siteStackName,
  tunnelStackName,
} from './naming.js';
import { ImagesStack } from './shared/images-stack.js';
import { SharedStack } from './shared/shared-stack.js';
import { ControlStack } from './site/control-stack.js';
import { SiteStack } from './site/site-stack.js';
import { TunnelStack } from './site/tunnel-stack.js';

export interface TunnelOpsStacks {
  ctx: InfraContext;
  topology: Topology;
  images: ImagesStack;
  shared: SharedStack;
  sites: { site: SiteStack; tunnels: TunnelStack[]; control: ControlStack }[];
  all: Stack[];
}

const CROSS_STACK_REFS = '@aws-cdk/core:defaultCrossStackReferences';

function retention(days: number): logs.RetentionDays {
  const allowed = Object.values(logs.RetentionDays).filter((v): v is number => typeof v === 'number');
  if (!allowed.includes(days))
    throw new ConfigError(
      `-c logRetentionDays=${days} is not a CloudWatch Logs retention; use one of ${allowed.join(', ')}`,
    );
  return days as logs.RetentionDays;
}

/**
 * Builds every stack from the CDK context and the topology file (the same tunnels.yml the bot reads).
 * Stack order on a first deploy: Images (push images), Shared, then per site: base, both tunnels, control.
 */
export function buildApp(app: App, options: { nag?: boolean } = {}): TunnelOpsStacks {
  // Explicit, so CDK does not warn; exports between a site's stacks protect their producers.
  if (app.node.tryGetContext(CROSS_STACK_REFS) === undefined) app.node.setContext(CROSS_STACK_REFS, 'strong');
  const ctx = readInfraContext(app.node);
  const topologyFile = isAbsolute(ctx.topology) ? ctx.topology : join(REPO_ROOT, ctx.topology);
  let topologyText: string;
  try {
    topologyText = readFileSync(topologyFile, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `cannot read the topology ${topologyFile} (-c topology=<path>): ${(err as Error).message}`,
    );
  }
  const topology = parseTopology(topologyText, ctx.topology);
  const placedSites = topology.sites.map((s, i) => placeSite(s, ctx, i));
  const env: Environment = { account: ctx.account, region: ctx.region };
  const logRetention = retention(ctx.logRetentionDays);

  if (placedSites.some((p) => alarmTopicName(p.site.name) === SHARED_ALARM_TOPIC))
    throw new ConfigError(
      `a site may not be named "shared": ${SHARED_ALARM_TOPIC} is the shared alarm topic`,
    );
  // Stacks holding state (images, the state table and secrets, certificates and addresses) refuse deletion.
  const images = new ImagesStack(app, imagesStackName, {
    env,
    description: 'tunnelops: ECR repositories for the bot and OpenVPN server images',
    terminationProtection: true,
  });
  const shared = new SharedStack(app, sharedStackName, {
    env,
    terminationProtection: true,
    description: 'tunnelops: state table, secrets, alarm queue, the bot service and the GitHub deploy roles',
    ctx,
    topology,
    topologyText,
    vpc: (scope) => importVpc(scope, ctx),
    logRetention,
  });
  shared.addStackDependency(images);

  const sites = placedSites.map((placed) => {
    const name = placed.site.name;
    const site = new SiteStack(app, siteStackName(name), {
      env,
      description: `tunnelops ${name}: cluster, Elastic IPs, tunnel interfaces, certificates`,
      ctx,
      placed,
      terminationProtection: true,
    });
    const tunnels = placed.tunnels.map((t) => {
      const stack = new TunnelStack(app, tunnelStackName(name, t.tunnel.name), {
        env,
        description: `tunnelops ${name}/${t.tunnel.name} (${t.role}): OpenVPN server in ${t.availabilityZone}`,
        ctx,
        siteName: name,
        site: placed.site,
        placed: t,
        bucket: site.certs.bucket,
        key: site.certs.key,
        eipAllocationId: site.eipAllocations.get(t.tunnel.name)!,
        eniId: site.tunnelEnis.get(t.tunnel.name)!,
        peerHost: placed.tunnels
          .filter((o) => o.tunnel.name !== t.tunnel.name)
          .map((o) => site.tunnelEniIps.get(o.tunnel.name)!)[0],
        selfHost: site.tunnelEniIps.get(t.tunnel.name)!,
        logRetention,
      });
      stack.addStackDependency(images);
      // The monitor writes its heartbeats into the shared state table (by name, so no import says so).
      stack.addStackDependency(shared);
      return stack;
    });
    // One tunnel at a time, primary first, whatever deploys them (cdk deploy --all, a pipeline): the secondary's
    // update starts only when the primary's finished, i.e. when its new instance signalled that it serves.
    const [primaryStack, secondaryStack] = tunnels;
    if (primaryStack && secondaryStack) secondaryStack.addStackDependency(primaryStack);
    const control = new ControlStack(app, controlStackName(name), {
      env,
      description: `tunnelops ${name}: initial routes, alarms, failover controller`,
      placed,
      primaryEniId: site.tunnelEnis.get(placed.tunnels[0].tunnel.name)!,
      alarmQueueArn: shared.alarmQueue.queue.queueArn,
      alarmEmail: ctx.alarmEmail,
      logRetention,
    });
    // The initial routes look up the primary's running instance, and the controller uses the state table.
    for (const t of tunnels) control.addStackDependency(t);
    control.addStackDependency(shared);
    return { site, tunnels, control };
  });

  const all = [images, shared, ...sites.flatMap((s) => [s.site, ...s.tunnels, s.control])];
  // Not on ALB listeners: cfn-lint 1.51's schema has no Tags there (E3002), and a listener needs none.
  for (const stack of all)
    Tags.of(stack).add('project', 'tunnelops', {
      excludeResourceTypes: ['AWS::ElasticLoadBalancingV2::Listener'],
    });
  // cdk-nag runs at every synth (a finding fails `cdk synth`); acknowledged findings and their reasons are
  // written into the templates' Metadata for review.
  if (options.nag !== false)
    Validations.of(app).addPlugins(
      new AwsSolutionsChecks(app, { verbose: true, writeSuppressionsToCloudFormation: true }),
    );
  return { ctx, topology, images, shared, sites, all };
}
