import type { Topology } from '../../config/topology-schema.js';
import { reasonOf } from '../../domain/outcome.js';
import { tunnelKey } from '../../domain/topology.js';
import type { Logger } from '../../log.js';
import type { Instances } from '../../ports/instances.js';
import type { LifecycleAction, LifecycleActions } from '../../ports/lifecycle-actions.js';
import type { ControllerOutcome, FailoverController } from './failover-controller.js';

export interface PlannedTerminationResult {
  /** The site and tunnel the terminating instance serves, when it is one of ours. */
  site?: string;
  tunnel?: string;
  outcome?: ControllerOutcome;
  /** CompleteLifecycleAction(CONTINUE) went through. */
  completed: boolean;
  reason?: string;
}

/**
 * An ASG is about to terminate an instance: if it hosts a tunnel that carries traffic, traffic moves to the other
 * tunnel first (the controller's executor: lease, health check, audit), then the lifecycle action is completed
 * with CONTINUE so the termination goes on at once instead of at the hook's timeout. It is completed whatever
 * happened before: holding the instance would not make the other tunnel healthier.
 */
export class PlannedTermination {
  constructor(
    private readonly props: {
      topology: Topology;
      instances: Instances;
      controller: Pick<FailoverController, 'moveOff'>;
      lifecycle: LifecycleActions;
      log: Logger;
    },
  ) {}

  async handle(action: LifecycleAction): Promise<PlannedTerminationResult> {
    const log = this.props.log.child({ instanceId: action.instanceId, asg: action.autoScalingGroupName });
    const result: PlannedTerminationResult = { completed: false };
    try {
      const owner = await this.tunnelOf(action);
      if (!owner) {
        result.reason = `instance ${action.instanceId} hosts none of this topology's tunnels`;
        log.info(result.reason);
      } else {
        result.site = owner.site;
        result.tunnel = owner.tunnel;
        result.outcome = await this.props.controller.moveOff(owner.site, owner.tunnel, action.instanceId);
      }
    } catch (err) {
      result.reason = reasonOf(err);
      log.error({ err }, 'could not move traffic off the terminating instance');
    }
    try {
      await this.props.lifecycle.complete(action, 'CONTINUE');
      result.completed = true;
    } catch (err) {
      // The hook times out on its own (its heartbeat timeout), and the termination goes on then.
      log.error({ err }, 'could not complete the lifecycle action');
      result.reason = [result.reason, `CompleteLifecycleAction failed: ${reasonOf(err)}`]
        .filter(Boolean)
        .join('; ');
    }
    return result;
  }

  /** By the topology's instance id, else by what instance discovery (tags) finds for the event's region. */
  private async tunnelOf(action: LifecycleAction): Promise<{ site: string; tunnel: string } | null> {
    const sites = this.props.topology.sites.filter((s) => s.region === action.region);
    for (const s of sites)
      for (const t of s.tunnels)
        if ('instanceId' in t.instance && t.instance.instanceId === action.instanceId)
          return { site: s.name, tunnel: t.name };
    const byTag = sites.filter((s) => s.tunnels.some((t) => 'tag' in t.instance));
    if (byTag.length === 0) return null;
    const found = await this.props.instances.observe(byTag);
    for (const s of byTag)
      for (const t of s.tunnels) {
        const o = found.get(tunnelKey(s.name, t.name));
        if (o?.ok && o.value.instanceId === action.instanceId) return { site: s.name, tunnel: t.name };
      }
    return null;
  }
}
