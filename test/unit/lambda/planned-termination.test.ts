import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from '@jest/globals';
import nock from 'nock';
import { AsgLifecycleActions } from '../../../src/aws/asg-lifecycle-actions.js';
import { createControllerHandler } from '../../../src/lambda/controller-handler.js';
import { RecordedLifecycleActions } from '../../../src/local/recorded-lifecycle-actions.js';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import { silentLogger } from '../../../src/log.js';
import type { Instances } from '../../../src/ports/instances.js';
import type { LifecycleActions } from '../../../src/ports/lifecycle-actions.js';
import { FailoverController } from '../../../src/services/failover/failover-controller.js';
import { PlannedTermination } from '../../../src/services/failover/planned-termination.js';
import { ManualClock } from '../../helpers/fakes/manual-clock.js';
import { heartbeat, putHeartbeat } from '../../helpers/heartbeats.js';
import { fakeClients } from '../aws/aws-http.js';
import { memoryAccount, RecordingChat, testTopology } from '../failover/fakes.js';

const event = (): Record<string, unknown> =>
  JSON.parse(
    readFileSync('test/fixtures/events/asg-instance-terminate-lifecycle-action.json', 'utf8'),
  ) as Record<string, unknown>;
const withDetail = (over: Record<string, unknown>) => {
  const e = event();
  return { ...e, detail: { ...(e.detail as Record<string, unknown>), ...over } };
};
const noInstances: Instances = { observe: async () => new Map() };

async function setup(opts: { secondary?: 'up' | 'down'; lifecycle?: LifecycleActions } = {}) {
  const clock = new ManualClock();
  const store = new SqliteStore({ path: ':memory:', clock });
  const topology = testTopology({ mode: 'propose' });
  const account = memoryAccount(topology);
  await putHeartbeat(store, heartbeat('primary', 'up', clock.now() - 1000));
  await putHeartbeat(store, heartbeat('secondary', opts.secondary ?? 'up', clock.now() - 1000));
  const chat = new RecordingChat();
  const controller = new FailoverController({ topology, account, store, clock, chat, log: silentLogger() });
  const lifecycle = opts.lifecycle ?? new RecordedLifecycleActions();
  const plannedTermination = new PlannedTermination({
    topology,
    instances: noInstances,
    controller,
    lifecycle,
    log: silentLogger(),
  });
  const handle = createControllerHandler({ topology, controller, log: silentLogger(), plannedTermination });
  return { handle, account, store, chat, lifecycle };
}

describe('planned termination (ASG lifecycle hook)', () => {
  afterEach(() => {
    nock.cleanAll();
  });

  it('moves traffic off the terminating active instance to the healthy other tunnel, then continues the hook', async () => {
    const { handle, account, store, chat, lifecycle } = await setup();
    const res = await handle(event());
    expect(res).toMatchObject({
      status: 'evaluated',
      decisions: [
        { site: 'dc1', action: 'failover', code: 'planned-termination', to: 'secondary', changed: 4 },
      ],
      lifecycle: { completed: true },
    });
    expect(account.routeTables.activeOf('dc1')).toEqual(['secondary']);
    expect((lifecycle as RecordedLifecycleActions).completed).toEqual([
      {
        region: 'us-east-1',
        autoScalingGroupName: 'tunnelops-dc1-primary',
        lifecycleHookName: 'tunnelops-drain-routes',
        lifecycleActionToken: '630aa23f-48eb-45e7-aba6-799ea6093a0f',
        instanceId: 'i-0aaaaaaaaaaaaaaa1',
        result: 'CONTINUE',
      },
    ]);
    const audit = await store.listAudit({ site: 'dc1' });
    expect(audit.at(-1)).toMatchObject({ event: 'succeeded', actor: 'controller' });
    expect(audit.find((e) => e.event === 'started')?.detail?.reason).toMatch(
      /i-0aaaaaaaaaaaaaaa1 of primary is being terminated/,
    );
    expect(chat.posts.at(-1)?.text).toMatch(/Automatic failover of \*dc1\*: primary -> \*secondary\*/);
    await store.close();
  });

  it('changes nothing when the terminating instance carries no route, and still continues the hook', async () => {
    const { handle, account, store, lifecycle } = await setup();
    const res = await handle(withDetail({ EC2InstanceId: 'i-0bbbbbbbbbbbbbbb2' }));
    expect(res.decisions?.[0]).toMatchObject({ action: 'none', code: 'planned-termination' });
    expect(account.routeTables.replaced).toEqual([]);
    expect((lifecycle as RecordedLifecycleActions).completed).toHaveLength(1);
    await store.close();
  });

  it('does not move traffic onto an unhealthy tunnel: routes stay, a loud notice, the hook continues', async () => {
    const { handle, account, store, chat, lifecycle } = await setup({ secondary: 'down' });
    const res = await handle(event());
    expect(res.decisions?.[0]).toMatchObject({ action: 'failover', code: 'planned-termination' });
    expect(account.routeTables.replaced).toEqual([]);
    expect(account.routeTables.activeOf('dc1')).toEqual(['primary']);
    expect(chat.posts.at(-1)?.text).toMatch(/did not fail over to secondary: secondary is not healthy/);
    expect((lifecycle as RecordedLifecycleActions).completed).toHaveLength(1);
    await store.close();
  });

  it('an instance that is none of our tunnels is only continued', async () => {
    const { handle, account, store, lifecycle } = await setup();
    const res = await handle(withDetail({ EC2InstanceId: 'i-0cccccccccccccccc' }));
    expect(res).toMatchObject({
      status: 'evaluated',
      decisions: [],
      lifecycle: { completed: true, reason: expect.stringMatching(/hosts none of this topology's tunnels/) },
    });
    expect(account.routeTables.replaced).toEqual([]);
    expect((lifecycle as RecordedLifecycleActions).completed).toHaveLength(1);
    await store.close();
  });

  it('rejects a malformed lifecycle event and ignores a launch transition, doing nothing', async () => {
    const { handle, store, lifecycle } = await setup();
    expect(await handle(withDetail({ EC2InstanceId: 'not-an-instance' }))).toMatchObject({
      status: 'rejected',
      reason: expect.stringMatching(/malformed lifecycle action: EC2InstanceId/),
    });
    expect(
      await handle(withDetail({ LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING' })),
    ).toMatchObject({ status: 'ignored' });
    expect((lifecycle as RecordedLifecycleActions).completed).toEqual([]);
    await store.close();
  });

  it('completes the action with CompleteLifecycleAction on the Auto Scaling query API', async () => {
    const bodies: Array<Record<string, string>> = [];
    const scope = nock('https://autoscaling.us-east-1.amazonaws.com')
      .post('/', (body: Record<string, string>) => {
        bodies.push(body);
        return body.Action === 'CompleteLifecycleAction';
      })
      .reply(
        200,
        '<CompleteLifecycleActionResponse xmlns="http://autoscaling.amazonaws.com/doc/2011-01-01/"><CompleteLifecycleActionResult/><ResponseMetadata><RequestId>7c6e177f-f082-11e1-ac58-3714bEXAMPLE</RequestId></ResponseMetadata></CompleteLifecycleActionResponse>',
        { 'Content-Type': 'text/xml' },
      );
    const clients = fakeClients();
    const { handle, store, account } = await setup({ lifecycle: new AsgLifecycleActions(clients) });
    const res = await handle(event());
    expect(res.lifecycle).toEqual({ completed: true });
    expect(account.routeTables.activeOf('dc1')).toEqual(['secondary']);
    expect(scope.isDone()).toBe(true);
    expect(bodies[0]).toMatchObject({
      Action: 'CompleteLifecycleAction',
      AutoScalingGroupName: 'tunnelops-dc1-primary',
      LifecycleHookName: 'tunnelops-drain-routes',
      LifecycleActionToken: '630aa23f-48eb-45e7-aba6-799ea6093a0f',
      InstanceId: 'i-0aaaaaaaaaaaaaaa1',
      LifecycleActionResult: 'CONTINUE',
    });
    clients.destroy();
    await store.close();
  });
});
