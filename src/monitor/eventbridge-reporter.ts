import { PutEventsCommand, type PutEventsCommandOutput } from '@aws-sdk/client-eventbridge';
import type { Logger } from '../log.js';
import type { HealthReporter, TunnelHealthChange } from './health-reporter.js';

export const HEALTH_EVENT_SOURCE = 'tunnelops.monitor';
export const HEALTH_EVENT_DETAIL_TYPE = 'Tunnel Health Changed';

/** The detail of a "Tunnel Health Changed" event (the controller Lambda validates the same shape). */
export interface TunnelHealthDetail {
  site: string;
  tunnel: string;
  health: 'up' | 'down';
  previous: 'up' | 'down' | 'unknown';
  reason: string;
  /** ISO time of the change. */
  at: string;
  lossPct: number;
  latencyMs: number | null;
  fallCount: number;
  riseCount: number;
}

export interface EventBridgeSender {
  send(command: PutEventsCommand): Promise<Pick<PutEventsCommandOutput, 'FailedEntryCount' | 'Entries'>>;
}

function healthDetail(change: TunnelHealthChange): TunnelHealthDetail {
  return {
    site: change.site,
    tunnel: change.tunnel,
    health: change.to,
    previous: change.from,
    reason: change.reason,
    at: new Date(change.at).toISOString(),
    lossPct: change.round.lossPct,
    latencyMs: change.round.latencyMs,
    fallCount: change.round.state.fallCount,
    riseCount: change.round.state.riseCount,
  };
}

/** PutEvents "Tunnel Health Changed" from "tunnelops.monitor" on every health change (retried once). */
export class EventBridgeReporter implements HealthReporter {
  constructor(private readonly props: { client: EventBridgeSender; log: Logger; eventBusName?: string }) {}

  async round(): Promise<void> {}

  async changed(change: TunnelHealthChange): Promise<void> {
    const entry = {
      Source: HEALTH_EVENT_SOURCE,
      DetailType: HEALTH_EVENT_DETAIL_TYPE,
      Detail: JSON.stringify(healthDetail(change)),
      Resources: [],
      Time: new Date(change.at),
      ...(this.props.eventBusName ? { EventBusName: this.props.eventBusName } : {}),
    };
    for (let attempt = 1; attempt <= 2; attempt++) {
      try {
        const out = await this.props.client.send(new PutEventsCommand({ Entries: [entry] }));
        if (!out.FailedEntryCount) return;
        this.props.log.warn({ attempt, entries: out.Entries }, 'PutEvents rejected the health event');
      } catch (err) {
        this.props.log.warn({ err, attempt }, 'PutEvents failed');
      }
    }
    // The controller's reconcile tick and the heartbeat still carry the change.
    this.props.log.error(
      { site: change.site, tunnel: change.tunnel, to: change.to },
      'health event not delivered',
    );
  }

  async flush(): Promise<void> {}
}
