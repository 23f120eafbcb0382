/** A Slack user id (U… or W…); other actors ("controller", "controller@monitor:dc1/primary") are not looked up. */
export const SLACK_USER_ID = /^[UW][A-Z0-9]{2,20}$/;

const FOUND_TTL_MS = 60 * 60_000;
/** A failed or empty lookup is asked again after this long, not on every page refresh. */
const MISS_TTL_MS = 60_000;
const MAX_ENTRIES = 500;

/**
 * Display names for Slack user ids, cached (names change rarely; the page refreshes every 2 s). A lookup that
 * fails leaves the id as it is: a name is a nicety, never a reason for the page to fail.
 */
export class UserNames {
  private readonly cache = new Map<string, { at: number; ttl: number; name: Promise<string | null> }>();

  constructor(
    private readonly lookup: (id: string) => Promise<string | null>,
    private readonly now: () => number,
  ) {}

  /** Names for the ids that have one (ids not shaped like a Slack user id are skipped). */
  async names(ids: Iterable<string>): Promise<Record<string, string>> {
    const wanted = [...new Set(ids)].filter((id) => SLACK_USER_ID.test(id));
    const found = await Promise.all(wanted.map(async (id) => [id, await this.name(id)] as const));
    return Object.fromEntries(found.filter((e): e is readonly [string, string] => e[1] !== null));
  }

  private name(id: string): Promise<string | null> {
    const now = this.now();
    const hit = this.cache.get(id);
    if (hit && now - hit.at < hit.ttl) return hit.name;
    const entry = { at: now, ttl: FOUND_TTL_MS, name: Promise.resolve<string | null>(null) };
    entry.name = this.lookup(id).then(
      (name) => {
        if (!name) entry.ttl = MISS_TTL_MS;
        return name || null;
      },
      () => {
        entry.ttl = MISS_TTL_MS;
        return null;
      },
    );
    this.cache.delete(id);
    this.cache.set(id, entry);
    // Oldest first in a Map: drop from the front beyond the bound.
    for (const key of this.cache.keys()) {
      if (this.cache.size <= MAX_ENTRIES) break;
      this.cache.delete(key);
    }
    return entry.name;
  }
}
