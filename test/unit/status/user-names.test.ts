import { describe, expect, it } from '@jest/globals';
import { UserNames } from '../../../src/services/status/user-names.js';

describe('UserNames', () => {
  it('looks each Slack user id up once an hour, skips other actors, and leaves an unknown id unnamed', async () => {
    let now = 0;
    const asked: string[] = [];
    const names = new UserNames(
      async (id) => {
        asked.push(id);
        return id === 'UAPPROVER1' ? 'approver1' : null;
      },
      () => now,
    );
    const ids = ['UAPPROVER1', 'UAPPROVER1', 'UNOBODY', 'controller@monitor:dc1/primary', 'controller'];
    expect(await names.names(ids)).toEqual({ UAPPROVER1: 'approver1' });
    expect(asked).toEqual(['UAPPROVER1', 'UNOBODY']);
    now = 59_000;
    await names.names(ids);
    expect(asked).toHaveLength(2);
    now = 61_000; // the miss is asked again after a minute, the name after an hour
    await names.names(ids);
    expect(asked).toEqual(['UAPPROVER1', 'UNOBODY', 'UNOBODY']);
    now = 3_600_001;
    await names.names(ids);
    expect(asked.filter((id) => id === 'UAPPROVER1')).toHaveLength(2);
  });

  it('a failing lookup shows the id, never fails the page', async () => {
    const names = new UserNames(
      async () => {
        throw new Error('ratelimited');
      },
      () => 0,
    );
    expect(await names.names(['UAPPROVER1'])).toEqual({});
  });
});
