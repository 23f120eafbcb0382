/**
 * How long a read of a region's route tables would wait now for its turn in the account's request budget, which
 * every process shares (src/aws/ec2-request-budget.ts). The backstop asks it before its reconcile: a long queue
 * means the fast paths are at work, and a read that decides nothing would only stand ahead of theirs.
 */
export interface RouteReadQueue {
  /** Milliseconds; 0 when there is no queue, and when it cannot be told (the caller then reads, as without it). */
  waitMs(region: string): Promise<number>;
}
