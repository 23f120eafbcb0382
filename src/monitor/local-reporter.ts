import type { Logger } from '../log.js';
import type { HealthReporter, TunnelHealthChange } from './health-reporter.js';

/** Whatever reacts to a health change in-process: the failover controller. */
export interface HealthChangeSink {
  onHealthChanged(change: TunnelHealthChange): Promise<unknown>;
}

/** The local stand-in for EventBridge: hands each health change straight to the controller. */
export class LocalReporter implements HealthReporter {
  constructor(private readonly props: { sink: HealthChangeSink; log: Logger }) {}

  async round(): Promise<void> {}

  async changed(change: TunnelHealthChange): Promise<void> {
    try {
      await this.props.sink.onHealthChanged(change);
    } catch (err) {
      this.props.log.error(
        { err, site: change.site, tunnel: change.tunnel },
        'controller failed on a health change',
      );
    }
  }

  async flush(): Promise<void> {}
}
