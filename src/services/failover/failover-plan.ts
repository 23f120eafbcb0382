import type { Site } from '../../config/topology-schema.js';
import type { RefusalCode } from '../../domain/refusal.js';
import type { SeenRoutes } from './route-epoch.js';

/** Is the target tunnel fit to carry traffic? (probe stats, ECS task, instance ...) */
export type TargetCheck = (site: Site, tunnel: string) => Promise<{ healthy: boolean; reason: string }>;

export interface FailoverPlan {
  site: Site;
  to: string;
  actor: string;
  requestId?: string;
  reason?: string;
  trigger: 'approved' | 'automatic';
  /** The run id of an interrupted run this one finishes (on the audit, so the trail says whose run it was). */
  resumes?: { runId: string; actor: string };
  /** The routes the decision read (the controller's): used under the lease while no run has written since. */
  seen?: SeenRoutes;
  onProgress?: (message: string) => Promise<void> | void;
}

export type FailoverResult =
  | { ok: true; from: string | null; to: string; changed: number; durationMs: number }
  | {
      ok: false;
      refused: boolean;
      /** Set when refused (nothing was changed): what to decide on, rather than the reason's text. */
      refusal?: RefusalCode;
      reason: string;
      changed: number;
      rolledBack: number;
      durationMs: number;
    };

/** The slice of FailoverExecutor the controller uses. */
export interface FailoverRunner {
  execute(plan: FailoverPlan): Promise<FailoverResult>;
}
