/**
 * Lab test 1 of issue 20: a full `/vpn rotate` of a site under continuous app traffic, with real OpenVPN. The
 * operator stages new server certificates (`pki renew` + `publish` to the lab's bucket directory); one engineer
 * asks, another approves; the rotation restarts the standby onto its new certificate, waits until its monitor
 * reports it healthy on it, fails over onto it, restarts the other. Both servers end on the new certificates
 * (as their monitors report them and as a client's handshake sees them), the app's longest traffic gap over the
 * whole rotation is at most 1 s, and the audit and the request's Slack thread hold every step.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { longestGapMs, PING_INTERVAL_MS, startAppPings } from './app-pings.js';
import { describeLab } from './describe-lab.js';
import { Lab } from './lab.js';
import { readHeartbeats } from './lab-observe.js';
import { APPROVER, handshakeSerial, LabRotation, sameSerial } from './lab-rotation.js';
import { LabScenario } from './lab-scenario.js';
import { sleep } from './netns.js';

describeLab('/vpn rotate: new server certificates with no outage (real OpenVPN)', () => {
  let lab: Lab;
  let rotation: LabRotation;

  beforeAll(async () => {
    lab = await Lab.up();
    rotation = await LabRotation.start(lab);
  }, 120_000);
  afterAll(async () => {
    await rotation?.stop();
    await lab?.down();
  }, 60_000);

  it('rotates both servers standby first; the app never loses traffic for more than 1 s', async () => {
    const sc = new LabScenario(lab);
    expect(await sc.active()).toBe('primary');
    const before = {
      primary: await handshakeSerial(lab, 'primary'),
      secondary: await handshakeSerial(lab, 'secondary'),
    };
    const staged = await rotation.stage();
    expect(sameSerial(staged.primary, before.primary)).toBe(false);

    const pings = startAppPings(lab);
    await sleep(1000);
    const t0 = Date.now();
    const request = await rotation.rotate();
    const tookMs = Date.now() - t0;
    await sleep(1000);
    const gap = longestGapMs(await pings.stop(), PING_INTERVAL_MS);
    console.log(`lab rotate: ${request.state} in ${tookMs} ms; longest app traffic gap ${gap} ms`);

    expect(request).toMatchObject({ state: 'succeeded', approver: APPROVER });
    expect(request.result?.summary).toContain('npm run pki -- bundle');
    expect(gap).toBeLessThanOrEqual(1000);
    // Traffic ends on the former standby; both servers run the new certificates.
    expect(await sc.active()).toBe('secondary');
    const beats = readHeartbeats(lab.files.store, lab.site.name);
    expect(beats.primary?.serverCert?.serial).toBe(staged.primary);
    expect(beats.secondary?.serverCert?.serial).toBe(staged.secondary);
    const seen = {
      primary: await handshakeSerial(lab, 'primary'),
      secondary: await handshakeSerial(lab, 'secondary'),
    };
    console.log(
      `handshake serials before ${JSON.stringify(before)}, after ${JSON.stringify(seen)}, staged ${JSON.stringify(staged)}`,
    );
    expect(sameSerial(seen.primary, staged.primary)).toBe(true);
    expect(sameSerial(seen.secondary, staged.secondary)).toBe(true);

    // The audit: the request, the approval, each step, and the redeploys and failover it ran, in order.
    const trail = sc
      .audit()
      .filter((a) => a.requestId === request.id)
      .map(
        (a) =>
          `${a.action}:${a.event}${a.action === 'rotate' && a.event === 'step' ? `:${String(a.detail?.step)}:${String(a.detail?.tunnel ?? a.detail?.to)}` : ''}`,
      );
    const steps = trail.filter((e) => e.startsWith('rotate:'));
    expect(steps).toEqual([
      'rotate:requested',
      'rotate:approved',
      'rotate:started',
      'rotate:step:redeploy:secondary',
      'rotate:step:healthy:secondary',
      'rotate:step:failover:secondary',
      'rotate:step:redeploy:primary',
      'rotate:step:healthy:primary',
      'rotate:succeeded',
    ]);
    expect(trail.filter((e) => e === 'redeploy:succeeded')).toHaveLength(2);
    expect(trail).toContain('failover:succeeded');
    // The thread: every step, each as it happened.
    const thread = rotation.threadTexts(request).join('\n');
    for (const line of [
      `Published certificate ${staged.secondary} for lab/secondary; redeploying it`,
      `lab/secondary is healthy on certificate ${staged.secondary}`,
      'Planned failover of lab to secondary',
      `Published certificate ${staged.primary} for lab/primary; redeploying it`,
      `lab/primary is healthy on certificate ${staged.primary}`,
    ])
      expect(thread).toContain(line);
  }, 240_000);
});
