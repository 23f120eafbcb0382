import type { Site } from '../../config/topology-schema.js';
import type { Decision } from '../../domain/failover-policy.js';
import { reasonOf } from '../../domain/outcome.js';
import type { Logger } from '../../log.js';
import type { Chat } from '../../ports/chat.js';
import type { Clock } from '../../ports/clock.js';
import type { Store } from '../../ports/store.js';
import { chatReports, type FailoverProposer, type ReportSink } from './report-outbox.js';

const NOTICE_NS = 'controller-notice';
interface Notice {
  signature: string;
  at: string;
}

/**
 * Remembers the last alert or proposal per site in the store, so the reconcile tick does not repeat
 * it every minute: the same notice is news again only after `repeatMs`, or once the condition cleared.
 */
class NoticeBoard {
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
function evidenceLines(decision: Decision): string[] {
  const e = decision.evidence;
  const lines = [`controller: ${decision.reason}`];
  if (typeof e.activeDown === 'string') lines.push(`active: ${e.activeDown}`);
  if (typeof e.standby === 'string') lines.push(`standby: ${e.standby}`);
  return lines;
}

/** A proposal's approval request id, or why none was made. */
export interface Proposal {
  requestId?: string;
  created: boolean;
  reason?: string;
}

/**
 * What the failover controller tells people about its decisions: failover reports, and alerts or proposals,
 * each said once (NoticeBoard) and audited. A post that fails is logged, never thrown: telling is not on the
 * path that moves routes.
 */
export class ControllerNotices {
  private readonly board: NoticeBoard;

  constructor(
    private readonly props: {
      store: Store;
      clock: Clock;
      log: Logger;
      /** Actor on audit entries and approval requests. */
      actor: string;
      chat?: Chat;
      /** Where failover and alert reports go; default: straight to the site's channel through `chat`. */
      reports?: ReportSink;
      approvals?: FailoverProposer;
      /** The same alert (or proposal) is posted again only after this long. */
      repeatAlertMs?: number;
    },
  ) {
    this.board = new NoticeBoard({
      store: props.store,
      clock: props.clock,
      repeatMs: props.repeatAlertMs ?? 15 * 60_000,
    });
  }

  /** The condition is gone: the next alert is news again. */
  clear(site: string): Promise<void> {
    return this.board.clear(site);
  }

  /** Posts a report to the site's channel (or its outbox); true when it went out. */
  async report(site: Site, r: Parameters<ReportSink['report']>[1]): Promise<boolean> {
    const sink = this.props.reports ?? (this.props.chat ? chatReports(this.props.chat) : undefined);
    if (!sink) return false;
    try {
      await sink.report(site, r);
      return true;
    } catch (err) {
      this.props.log.warn({ err, site: site.name }, 'could not post the controller notice');
      return false;
    }
  }

  /**
   * An alert, or a proposal where approvals exist: only when something new is said (or after repeatAlertMs). A
   * proposal the approval service refused is posted as an alert saying why, rather than staying silent.
   */
  async alert(
    site: Site,
    active: string | null,
    decision: Decision,
    log: Logger,
  ): Promise<{ posted: boolean; proposal?: Proposal }> {
    const signature = `${decision.code}:${active}:${decision.to ?? ''}`;
    if (!(await this.board.isNews(site.name, signature))) {
      log.debug({ signature }, 'same notice already posted recently');
      return { posted: false };
    }
    let proposal: Proposal | undefined;
    let extra: string | undefined;
    if (decision.action === 'propose' && decision.to && this.props.approvals) {
      proposal = await this.propose(site, decision.to, decision, this.props.approvals);
      if (proposal.requestId) return { posted: false, proposal };
      extra = `Could not ask for approval: ${proposal.reason ?? 'unknown reason'}`;
    }
    const posted = await this.report(site, {
      kind: 'alert',
      code: decision.code,
      reason: decision.reason,
      ...(extra ? { extra } : {}),
    });
    await this.audit(site, decision, log);
    return proposal ? { posted, proposal } : { posted };
  }

  private async propose(
    site: Site,
    to: string,
    decision: Decision,
    approvals: FailoverProposer,
  ): Promise<Proposal> {
    try {
      const res = await approvals.request({
        action: 'failover',
        site: site.name,
        requester: this.props.actor,
        to,
        reason: `automatic: ${decision.reason}`,
        evidence: evidenceLines(decision),
      });
      return res.ok
        ? { requestId: res.request.id, created: res.created }
        : { created: false, reason: res.reason };
    } catch (err) {
      this.props.log.error({ err, site: site.name }, 'could not propose the failover');
      return { created: false, reason: reasonOf(err) };
    }
  }

  private async audit(site: Site, decision: Decision, log: Logger): Promise<void> {
    await this.props.store
      .appendAudit({
        at: new Date(this.props.clock.now()).toISOString(),
        site: site.name,
        action: 'controller',
        actor: this.props.actor,
        event: decision.code === 'both-down' ? 'both-down-alert' : 'alert',
        detail: { code: decision.code, reason: decision.reason, ...(decision.to ? { to: decision.to } : {}) },
      })
      .catch((err) => log.error({ err }, 'could not audit the alert'));
  }
}
