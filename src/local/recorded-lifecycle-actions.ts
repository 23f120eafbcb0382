import type { LifecycleAction, LifecycleActions } from '../ports/lifecycle-actions.js';

/** The sandbox's lifecycle hooks: nothing waits on them, so completions are only recorded (and logged). */
export class RecordedLifecycleActions implements LifecycleActions {
  readonly completed: Array<LifecycleAction & { result: 'CONTINUE' | 'ABANDON' }> = [];

  async complete(action: LifecycleAction, result: 'CONTINUE' | 'ABANDON'): Promise<void> {
    this.completed.push({ ...action, result });
  }
}
