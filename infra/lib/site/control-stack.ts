import { Stack, type StackProps } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { PlacedSite } from '../config/resolve-site.js';
import { FailoverController } from './failover-controller.js';
import { PrimaryRoutes } from './primary-routes.js';
import { TunnelAlarms } from './tunnel-alarms.js';

export interface ControlStackProps extends StackProps {
  placed: PlacedSite;
  /** The primary tunnel's network interface (site stack): where the routes point when created. */
  primaryEniId: string;
  alarmQueueArn: string;
  alarmEmail?: string | undefined;
  logRetention: logs.RetentionDays;
}

/**
 * A site's control plane: the initial routes (to the primary's interface), the alarms and their topic, and
 * the failover controller with its event rules and its own alarms.
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
      primaryEniId: props.primaryEniId,
    });
    this.alarms = new TunnelAlarms(this, 'Alarms', {
      site,
      alarmQueueArn: props.alarmQueueArn,
      alarmEmail: props.alarmEmail,
    });
    this.controller = new FailoverController(this, 'Controller', {
      site,
      clusterArns: clusterNames.map((name) =>
        this.formatArn({ service: 'ecs', resource: 'cluster', resourceName: name }),
      ),
      alarmArns: this.alarms.alarms.map((a) => a.alarmArn),
      alarmTopic: this.alarms.topic,
      logRetention: props.logRetention,
    });
  }
}
