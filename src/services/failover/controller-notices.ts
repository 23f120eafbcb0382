import type { Decision } from '../../domain/failover-policy.js';
import type { Clock } from '../../ports/clock.js';
import type { Store } from '../../ports/store.js';

const NOTICE_NS = 'controller-notice';
interface Notice {
  signature: string;
  at: string;
}

/**
 * Remembers the last alert or proposal per site in the store, so the reconcile tick does not repeat
 * it every minute: the same notice is news again only after `repeatMs`, or once the condition cleared.
 */
export class NoticeBoard {
  constructor(private readonly props: { store: Store; clock: Clock; repeatMs: number }) {}

  /** True when this notice should go out now (and records it; a CAS, so two controllers post it once). */
  async isNews(site: string, signature: string): Promise<boolean> {
    const { store, clock, repeatMs } = this.props;
    const rec = await store.get<Notice>(NOTICE_NS, site);
    if (rec && rec.value.signature === signature) return false;
    const value: Notice = { signature, at: new Date(clock.now()).toISOString() };
    return rec
      ? store.compareAndSet(NOTICE_NS, site, rec.version, value, repeatMs)
      : store.create(NOTICE_NS, site, value, repeatMs);
  }

  /** The condition is gone: the next notice is news again. */
  async clear(site: string): Promise<void> {
    await this.props.store.delete(NOTICE_NS, site).catch(() => false);
  }
}

/** The decision's evidence as lines for the approval message. */
export function evidenceLines(decision: Decision): string[] {
  const e = decision.evidence;
  const lines = [`controller: ${decision.reason}`];
  if (typeof e.activeDown === 'string') lines.push(`active: ${e.activeDown}`);
  if (typeof e.standby === 'string') lines.push(`standby: ${e.standby}`);
  return lines;
}
