/**
 * Work under one key runs one piece at a time, in order of arrival; different keys run side by side. A piece
 * that fails does not stop the next one. (The controller's evaluations per site; the alarm store's writes per
 * alarm, so a slow write never lands after a newer one.)
 */
export class SerialByKey {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** True while work under the key is queued or running. */
  has(key: string): boolean {
    return this.tails.has(key);
  }

  /** Runs `work` after every piece queued before it under the same key. */
  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }

  /** Resolves once every piece queued so far has ended (failed ones too). */
  async idle(): Promise<void> {
    await Promise.all([...this.tails.values()]);
  }
}
