import type { Site } from '../../config/topology-schema.js';
import { isApproverOf } from '../../domain/approval.js';
import type { Logger } from '../../log.js';
import type { Chat } from '../../ports/chat.js';
import type { Clock } from '../../ports/clock.js';

/**
 * Long enough that a burst of clicks on one request (double clicks, several approvers at once) costs one
 * usergroups.users.list call per group; short enough that someone removed from the group cannot approve
 * for more than a few seconds after. 5 s keeps even a steady stream of clicks at 12 calls a minute per
 * group, under the method's Tier 2 limit (20+/min).
 */
export const APPROVER_CACHE_MS = 5_000;

/** Who may approve for a site: listed user ids, or members of listed Slack user groups. */
export class Approvers {
  private readonly cache = new Map<string, { at: number; members: Promise<string[]> }>();

  constructor(private readonly props: { chat: Chat; clock: Clock; log: Logger }) {}

  async isApprover(site: Site, user: string): Promise<boolean> {
    if (site.approvers.users.includes(user)) return true;
    const members: string[] = [];
    for (const group of site.approvers.userGroups) members.push(...(await this.members(group)));
    return isApproverOf(user, site.approvers.users, members);
  }

  private members(group: string): Promise<string[]> {
    const now = this.props.clock.now();
    const hit = this.cache.get(group);
    if (hit && now - hit.at < APPROVER_CACHE_MS) return hit.members;
    const members = this.props.chat.userGroupMembers(group).catch((err) => {
      // Fail closed: nobody is an approver through a group we cannot read; forget the failure at once.
      this.props.log.warn({ err, group }, 'could not list user group members');
      this.cache.delete(group);
      return [] as string[];
    });
    this.cache.set(group, { at: now, members });
    return members;
  }
}
