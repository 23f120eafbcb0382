import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { describeLab } from './describe-lab.js';
import { Lab } from './lab.js';
import { LabScenario } from './lab-scenario.js';
import { restartWithoutFastPath, stopWithGoodbyeReadLate } from './late-goodbye.js';
import { sleep, waitFor } from './netns.js';

/** The loss window: a minute as the issue asks; LAB_LOSS_SECONDS shortens it for a quick local run. */
const LOSS_MS = Number(process.env.LAB_LOSS_SECONDS ?? 60) * 1000;
/** Every recovering scenario must have moved the routes by then (bench:failover measures the real figures). */
const MOVE_WITHIN_MS = 6000;

/**
 * Every single failure on real tunnels, against the lab in production shape: the server entrypoints run openvpn
 * and their monitors (fast path + peer detection), the backstop runs every minute, one shared store, Slack as
 * a stand-in process, ReplaceRoute modelled at LAB_ROUTE_DELAY_MS. One lab for all scenarios; each starts from
 * the same state (restore: everything up, routes on the primary, both monitors reporting up).
 */
describeLab('every single failure heals by itself (production-shape lab)', () => {
  let lab: Lab;
  let sc: LabScenario;

  beforeAll(async () => {
    lab = await Lab.up();
  }, 120_000);

  afterAll(async () => {
    await lab?.down();
  }, 60_000);

  afterEach(() => {
    const state = expect.getState();
    if (state.assertionCalls > 0 && state.numPassingAsserts < state.assertionCalls)
      console.log(`decisions:\n${lab.decisions().slice(-15).join('\n')}`);
  });

  beforeEach(async () => {
    await lab.restore();
    sc = new LabScenario(lab);
    expect(await sc.active()).toBe('primary');
  }, 90_000);

  /** Traffic from the app host flows through `t`'s tunnel. */
  const expectTrafficThrough = async (t: 'primary' | 'secondary') => {
    const { answered, sentIntoTunnel } = await sc.trafficThrough(t);
    expect(answered).toBe(5);
    expect(sentIntoTunnel).toBeGreaterThanOrEqual(5);
  };
  const failoverPost = () => sc.postTexts().find((t) => t.includes('Automatic failover of *lab*'));

  describe('recovering failures: routes move to the secondary in seconds', () => {
    it("(1) the primary server's openvpn dies: its monitor reports it down at once and one run moves the routes", async () => {
      lab.killServerOpenvpn('primary');
      const ms = await sc.msUntilActive('secondary', MOVE_WITHIN_MS);
      expect(ms).not.toBeNull();
      console.log(`lab (1) server openvpn died: routes on the secondary after ${ms} ms`);
      await expectTrafficThrough('secondary');
      // The primary's monitor reports its tunnel down at once (its openvpn is gone: no fall of failed probe rounds
      // to wait for; a round already in flight at the kill may count one): the goodbye its entrypoint asks of it,
      // which its own fast path decides on as such. Both monitors' fast paths act on that report and race for the
      // lease: either may win (the secondary's did, 17 ms ahead, in one CI run); exactly one run moves the routes.
      const done = sc.failovers();
      expect(done).toHaveLength(1);
      expect(done[0]?.actor).toMatch(/^controller@monitor:lab\/(primary|secondary)$/);
      expect(sc.audit().find((a) => a.event === 'started')?.detail).toMatchObject({
        reason: expect.stringMatching(
          /reports primary down \(([01] failed rounds, fall 3|its server is stopping: goodbye \d+\.\d s ago)\)/,
        ),
      });
      expect(await waitFor(async () => failoverPost() !== undefined, 8000)).toBe(true);
      expect(failoverPost()).toContain('primary -> *secondary*');
    }, 60_000);

    it("(2) the primary's on-prem client dies: the primary's monitor sees its probes fail", async () => {
      lab.killClient('primary');
      const ms = await sc.msUntilActive('secondary', MOVE_WITHIN_MS);
      expect(ms).not.toBeNull();
      console.log(`lab (2) client died: routes on the secondary after ${ms} ms`);
      expect(lab.serverRunning('primary')).toBe(true);
      await expectTrafficThrough('secondary');
      // Both monitors evaluate (the primary on its own probes, the secondary on the primary's heartbeat); the
      // site lease lets exactly one of them move the routes.
      const done = sc.failovers();
      expect(done).toHaveLength(1);
      expect(done[0]?.actor).toMatch(/^controller@monitor:lab\/(primary|secondary)$/);
      expect(sc.audit().find((a) => a.event === 'started')?.detail).toMatchObject({
        reason: expect.stringContaining('the monitor reports primary down'),
      });
      expect(await waitFor(async () => failoverPost() !== undefined, 8000)).toBe(true);
    }, 60_000);

    it('(3) the primary server host dies (every process killed, links down): the secondary notices', async () => {
      await lab.killHost('primary');
      const ms = await sc.msUntilActive('secondary', MOVE_WITHIN_MS);
      expect(ms).not.toBeNull();
      console.log(`lab (3) server host died: routes on the secondary after ${ms} ms`);
      await expectTrafficThrough('secondary');
      const [done] = sc.failovers();
      expect(done?.actor).toBe('controller@monitor:lab/secondary');
      expect(sc.audit().find((a) => a.event === 'started')?.detail).toMatchObject({
        reason: expect.stringContaining('the primary host does not answer its peer'),
      });
      expect(await waitFor(async () => failoverPost() !== undefined, 8000)).toBe(true);
    }, 60_000);

    it('(4) the primary instance is replaced: traffic moves, and the new host carries traffic again unaided', async () => {
      await lab.destroyHost('primary');
      // The old host's routes vanish with it (EC2: blackholed); the secondary's monitor repairs them.
      const ms = await sc.msUntilActive('secondary', MOVE_WITHIN_MS);
      expect(ms).not.toBeNull();
      console.log(`lab (4) instance gone: routes on the secondary after ${ms} ms`);
      expect(sc.audit().find((a) => a.event === 'started')?.detail).toMatchObject({
        reason: expect.stringContaining('point at no tunnel'),
      });
      await expectTrafficThrough('secondary');
      // The ASG's replacement boots (minutes later in AWS) with the tunnel's ENI address and the same secrets.
      await lab.bootHost('primary');
      // The new host boots with the same ENI address and secrets; its monitor reports it up by itself.
      expect(await lab.waitTunnel('primary', 30_000)).toBe(true);
      expect(await lab.waitMonitorsUp(30_000)).toBe(true);
      // It carries traffic again: when the secondary's openvpn dies, traffic goes back through the new primary.
      lab.killServerOpenvpn('secondary');
      expect(await sc.msUntilActive('primary', MOVE_WITHIN_MS)).not.toBeNull();
      await expectTrafficThrough('primary');
      expect(sc.failovers().map((a) => a.detail?.to)).toEqual(['secondary', 'primary']);
    }, 120_000);

    it('(8) the deciding process is killed after the first route changed: the routes converge, never split', async () => {
      lab.killClient('primary'); // the primary's monitor decides; the secondary's follows its run
      const total = (await sc.routeTunnels()).length;
      let movedAtKill = 0;
      let decider: 'primary' | 'secondary' | null = null;
      const caught = await waitFor(
        async () => {
          movedAtKill = (await sc.routeTunnels()).filter((t) => t === 'secondary').length;
          decider = movedAtKill > 0 ? sc.decider() : null;
          return movedAtKill > 0;
        },
        MOVE_WITHIN_MS,
        5,
      );
      expect(caught).toBe(true);
      // The process holding the site lease, whichever monitor won it, is the one killed.
      expect(decider).not.toBeNull();
      const pid = await lab.monitorPid(decider!);
      expect(pid).not.toBeNull();
      const killedAt = Date.now();
      process.kill(pid!, 'SIGKILL');
      console.log(
        `lab (8) killed the deciding monitor (${decider}) with ${movedAtKill}/${total} routes moved`,
      );
      const ms = await sc.msUntilActive('secondary', 30_000);
      expect(ms).not.toBeNull();
      console.log(`lab (8) routes converged on the secondary ${Date.now() - killedAt} ms after the kill`);
      await expectTrafficThrough('secondary');
      await sleep(2000);
      expect(await sc.active()).toBe('secondary');

      // The audit names the killed run, and whoever finished it says whose run it was.
      const audit = sc.audit().filter((e) => e.action === 'failover');
      const killed = audit.find(
        (e) => e.event === 'started' && e.actor === `controller@monitor:lab/${decider}`,
      );
      const runId = killed?.detail?.runId;
      expect(typeof runId).toBe('string');
      expect(audit.some((e) => e.detail?.runId === runId && e.event === 'succeeded')).toBe(false);
      const resumed = audit.find(
        (e) => e.event === 'started' && (e.detail?.resumes as { runId?: string })?.runId === runId,
      );
      if (resumed) {
        expect(resumed.actor).not.toBe(killed!.actor);
        expect(audit.some((e) => e.detail?.runId === resumed.detail?.runId && e.event === 'succeeded')).toBe(
          true,
        );
        expect(
          await waitFor(
            async () => sc.postTexts().some((t) => t.includes('finishing the interrupted failover run')),
            8000,
          ),
        ).toBe(true);
      } else {
        // Every route had landed before the kill (calls in flight complete): nothing was left to finish.
        console.log('lab (8) the killed run had moved every route before it died');
      }
    }, 90_000);

    it('(12) the primary server stops gracefully and its goodbye is read late (past heartbeatStaleSeconds): the secondary takes traffic', async () => {
      const staleMs = lab.site.failover.heartbeatStaleSeconds * 1000;
      await restartWithoutFastPath(lab, 'primary');
      const late = new LabScenario(lab); // what follows the restart, an outage of its own
      const bye = await stopWithGoodbyeReadLate(lab, 'primary', staleMs + 2000);
      const ms = await late.msUntilActive('secondary', 15_000);
      expect(ms).not.toBeNull();
      console.log(
        `lab (12) goodbye read ${staleMs + 2000} ms late: routes on the secondary ${ms} ms after the read`,
      );
      await expectTrafficThrough('secondary');
      // Decided on the goodbye, however old: not a silent monitor "taken to carry traffic".
      const started = late.audit().find((a) => a.action === 'failover' && a.event === 'started');
      const reason = String(started?.detail?.reason ?? '');
      expect(reason).toContain('the monitor reports primary down (its server is stopping: goodbye');
      const age = Number(/goodbye ([\d.]+) s ago/.exec(reason)?.[1]);
      expect(age * 1000).toBeGreaterThan(staleMs);
      expect(started?.at && Date.parse(started.at)).toBeGreaterThan(Date.parse(bye.at) + staleMs);
      expect(late.failovers()).toHaveLength(1);
      expect(late.audit().some((a) => a.detail?.code === 'monitor-silent')).toBe(false);
    }, 120_000);

    it('(9) the Slack API hangs during a failover: the routes move on time', async () => {
      lab.slackHangs(true);
      lab.killServerOpenvpn('primary');
      const ms = await sc.msUntilActive('secondary', MOVE_WITHIN_MS);
      expect(ms).not.toBeNull();
      console.log(`lab (9) Slack hanging: routes on the secondary after ${ms} ms`);
      await expectTrafficThrough('secondary');
      expect(sc.failovers()).toHaveLength(1);
      // The post was attempted, held by the hung Slack, and timed out without holding the routes.
      expect(await waitFor(async () => sc.posts().some((p) => p.hung), 8000)).toBe(true);
    }, 60_000);
  });

  describe('failures that must not move traffic', () => {
    it("(5) the active's monitor alone dies: no failover, an alert", async () => {
      const pid = await lab.monitorPid('primary');
      expect(pid).not.toBeNull();
      process.kill(pid!, 'SIGKILL');
      expect(
        // Detection takes 1.5 s; the post may queue behind a decider's earlier Slack call (bounded at 20 s).
        await waitFor(async () => sc.postTexts().some((t) => t.includes('monitor has been silent')), 25_000),
      ).toBe(true);
      // The controller audits the alert after its post returns: the entry follows the post by a store write.
      expect(
        await waitFor(
          async () => sc.audit().some((a) => a.event === 'alert' && a.detail?.code === 'monitor-silent'),
          5000,
        ),
      ).toBe(true);
      expect(await sc.active()).toBe('primary');
      await expectTrafficThrough('primary');
      expect(sc.failovers()).toEqual([]);
      // The entrypoint restarts the monitor; it reports again.
      expect(await lab.waitMonitorsUp(20_000)).toBe(true);
      expect(await sc.active()).toBe('primary');
    }, 60_000);

    it('(6) the path between the two servers is cut, both tunnels fine: no failover', async () => {
      await lab.cutServerPath(true);
      // Both sides see their peer's host stop answering, while the heartbeats stay fresh.
      expect(
        await waitFor(
          async () => (sc.heartbeat('secondary')?.peer?.failCount ?? 0) >= lab.site.failover.fall,
          10_000,
        ),
      ).toBe(true);
      await sleep(8000);
      expect((sc.heartbeat('primary')?.peer?.failCount ?? 0) >= lab.site.failover.fall).toBe(true);
      expect(await sc.active()).toBe('primary');
      await expectTrafficThrough('primary');
      expect(sc.failovers()).toEqual([]);
      expect(failoverPost()).toBeUndefined();
    }, 60_000);

    it(
      '(7) 10% random loss on the primary path for a minute: no failover with the recommended settings',
      async () => {
        await lab.setLoss('primary', 0.1);
        let lossySamples = 0;
        const end = Date.now() + LOSS_MS;
        while (Date.now() < end) {
          const beat = sc.heartbeat('primary');
          if (beat && (beat.lossPct > 0 || beat.fallCount > 0)) lossySamples++;
          await sleep(250);
        }
        await lab.setLoss('primary', null);
        console.log(
          `lab (7) ${LOSS_MS / 1000} s of 10% loss: ${lossySamples} heartbeat samples showed failed probes`,
        );
        // The loss was real (the monitor's probes failed) yet never `fall` whole rounds in a row.
        expect(lossySamples).toBeGreaterThan(0);
        expect(await sc.active()).toBe('primary');
        expect(sc.heartbeat('primary')?.health).toBe('up');
        expect(sc.failovers()).toEqual([]);
        expect(failoverPost()).toBeUndefined();
      },
      LOSS_MS + 60_000,
    );

    it("(11) the standby's host dies (its AZ goes): no failover, and the active's monitor decides once, then stays quiet", async () => {
      const since = Date.now();
      await lab.killHost('secondary');
      // Each of the primary monitor's decisions reads the route tables (in AWS, from the account's Describe
      // bucket that an AZ outage's failovers need). Seeing the secondary's host dead is worth one read; with
      // every route on the primary and the primary up, nothing is left to decide until something changes.
      const quiet = () =>
        lab.decisions(since).filter((l) => l.includes(' lab/primary controller decided none'));
      expect(await waitFor(async () => quiet().length >= 1, 10_000)).toBe(true);
      await sleep(25_000);
      // Before: a retry 10 s and 30 s after the first, each deciding the same nothing.
      expect(quiet()).toHaveLength(1);
      expect(quiet()[0]).toContain('active tunnel primary is not down');
      expect(await sc.active()).toBe('primary');
      await expectTrafficThrough('primary');
      expect(sc.failovers()).toEqual([]);
    }, 60_000);

    it('(10) both tunnels down: no route changes, an alert', async () => {
      lab.killServerOpenvpn('secondary');
      expect(await waitFor(async () => sc.heartbeat('secondary')?.health === 'down', 10_000)).toBe(true);
      lab.killServerOpenvpn('primary');
      expect(await waitFor(async () => sc.postTexts().some((t) => t.includes('BOTH tunnels')), 10_000)).toBe(
        true,
      );
      expect(await sc.active()).toBe('primary');
      expect(sc.audit().map((a) => a.event)).toContain('both-down-alert');
      expect(sc.failovers()).toEqual([]);
      await sleep(3000);
      expect(await sc.active()).toBe('primary');
    }, 60_000);
  });
});
