/**
 * Who waits for Slack to show which revision of an alarm (the SQS consumer deletes a message only then).
 */
interface Waiter {
  rev: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class ShownWaiters {
  private readonly byAlarm = new Map<string, Waiter[]>();

  wait(alarmId: string, rev: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const list = this.byAlarm.get(alarmId) ?? [];
      list.push({ rev, resolve, reject });
      this.byAlarm.set(alarmId, list);
    });
  }

  /** Slack shows `rev` of the alarm now: everyone waiting for it or an earlier rev is done. */
  shown(alarmId: string, rev: number): void {
    const list = this.byAlarm.get(alarmId);
    if (!list) return;
    const still = list.filter((w) => {
      if (w.rev > rev) return true;
      w.resolve();
      return false;
    });
    if (still.length) this.byAlarm.set(alarmId, still);
    else this.byAlarm.delete(alarmId);
  }

  /** A Slack call for the alarm failed: waiters learn it now (SQS leaves the message for redelivery). */
  fail(alarmId: string, err: Error): void {
    for (const w of this.byAlarm.get(alarmId) ?? []) w.reject(err);
    this.byAlarm.delete(alarmId);
  }

  failAll(reason: (alarmId: string) => Error): void {
    for (const id of [...this.byAlarm.keys()]) this.fail(id, reason(id));
  }
}
