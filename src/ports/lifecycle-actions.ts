/** One pending ASG lifecycle action (the instance waits in Terminating:Wait until it is completed). */
export interface LifecycleAction {
  region: string;
  autoScalingGroupName: string;
  lifecycleHookName: string;
  lifecycleActionToken: string;
  instanceId: string;
}

/**
 * Auto Scaling lifecycle hooks. Adapters: AWS (CompleteLifecycleAction) and the sandbox (records them).
 * complete() with CONTINUE lets the termination go on; for a terminate hook ABANDON terminates as well.
 */
export interface LifecycleActions {
  complete(action: LifecycleAction, result: 'CONTINUE' | 'ABANDON'): Promise<void>;
}
