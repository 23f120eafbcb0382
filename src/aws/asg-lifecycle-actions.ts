import { CompleteLifecycleActionCommand } from '@aws-sdk/client-auto-scaling';
import type { LifecycleAction, LifecycleActions } from '../ports/lifecycle-actions.js';
import type { AwsClients } from './clients.js';

/** CompleteLifecycleAction in the event's region (the hook's ASG lives there). */
export class AsgLifecycleActions implements LifecycleActions {
  constructor(private readonly clients: AwsClients) {}

  async complete(action: LifecycleAction, result: 'CONTINUE' | 'ABANDON'): Promise<void> {
    await this.clients.autoscaling(action.region).send(
      new CompleteLifecycleActionCommand({
        AutoScalingGroupName: action.autoScalingGroupName,
        LifecycleHookName: action.lifecycleHookName,
        LifecycleActionToken: action.lifecycleActionToken,
        InstanceId: action.instanceId,
        LifecycleActionResult: result,
      }),
    );
  }
}
