import type { Site } from '../config/topology-schema.js';
import { isApproverOf } from '../domain/approval.js';
import type { Logger } from '../log.js';
import type { Chat } from '../ports/chat.js';
import type { Clock } from '../ports/clock.js';

const CACHE_MS = 60_000;

/**
 * Who may approve for a site: listed user ids, or members of listed Slack user groups
 * (usergroups.users.list, cached a minute so a burst of clicks costs one call per group).
 */
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
    if (hit && now - hit.at < CACHE_MS) return hit.members;
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
