/**
 * Work on one site runs one piece at a time, in order of arrival; different sites run side by side. A piece
 * that fails does not stop the next one.
 */
export class SiteQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** True while work on the site is queued or running. */
  has(site: string): boolean {
    return this.tails.has(site);
  }

  /** Runs `work` after every piece queued before it for the same site. */
  run<T>(site: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(site) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.catch(() => undefined);
    this.tails.set(site, tail);
    void tail.then(() => {
      if (this.tails.get(site) === tail) this.tails.delete(site);
    });
    return next;
  }
}
