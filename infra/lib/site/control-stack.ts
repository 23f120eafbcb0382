import { Stack, type StackProps } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { PlacedSite } from '../config/resolve-site.js';
import { FailoverController } from './failover-controller.js';
import { PrimaryRoutes } from './primary-routes.js';
import { TunnelAlarms } from './tunnel-alarms.js';

export interface ControlStackProps extends StackProps {
  placed: PlacedSite;
  topologyFile: string;
  alarmQueueArn: string;
  logRetention: logs.RetentionDays;
}

/**
 * A site's control plane: the initial routes (created after the tunnel stacks, pointing at the primary),
 * the alarms and their topic, and the failover controller with its event rules.
 */
export class ControlStack extends Stack {
  readonly alarms: TunnelAlarms;
  readonly controller: FailoverController;
  readonly routes: PrimaryRoutes;

  constructor(scope: Construct, id: string, props: ControlStackProps) {
    super(scope, id, props);
    const { site, clusterNames } = props.placed;
    this.routes = new PrimaryRoutes(this, 'Routes', {
      placed: props.placed,
      logRetention: props.logRetention,
    });
    this.alarms = new TunnelAlarms(this, 'Alarms', { site, alarmQueueArn: props.alarmQueueArn });
    this.controller = new FailoverController(this, 'Controller', {
      site,
      topologyFile: props.topologyFile,
      clusterArns: clusterNames.map((name) =>
        this.formatArn({ service: 'ecs', resource: 'cluster', resourceName: name }),
      ),
      alarmArns: this.alarms.alarms.map((a) => a.alarmArn),
      logRetention: props.logRetention,
    });
  }
}
