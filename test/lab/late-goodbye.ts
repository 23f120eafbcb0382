import type { Heartbeat } from '../../src/domain/heartbeat.js';
import type { Lab } from './lab.js';
import { readHeartbeats } from './lab-observe.js';
import { type LabTunnel, TUNNELS } from './lab-plan.js';
import { sleep, waitFor } from './netns.js';

/** `t`'s monitor has written a heartbeat saying up within the last 1.5 s (its fall of rounds). */
const freshUp = (lab: Lab, t: LabTunnel): boolean => {
  const beat = readHeartbeats(lab.files.store, lab.site.name)[t];
  return beat?.health === 'up' && Date.now() - Date.parse(beat.at) < 1500;
};

/**
 * A server stops gracefully (SIGTERM) and the deciders read its monitor's goodbye only `lateMs` after it was
 * written: the other host's monitor and the backstop are held meanwhile (SIGSTOP), as an overloaded machine
 * holds them. The stopping monitor runs without the fast path, so a late reader decides, as when the stopping
 * side's own decision is cut short by its stop timeout. The other monitor is thawed first and the backstop once
 * that monitor writes again (else a backstop tick could read it stale too). Returns the goodbye heartbeat.
 */
export async function stopWithGoodbyeReadLate(lab: Lab, t: LabTunnel, lateMs: number): Promise<Heartbeat> {
  const peer = TUNNELS.find((x) => x !== t)!;
  await lab.startServer(t, { MONITOR_FAST_PATH: '0' });
  if (!(await waitFor(async () => freshUp(lab, t), 45_000, 250)))
    throw new Error(`the ${t} monitor did not report up again:\n${lab.serverLog(t)}`);
  const thawBackstop = await lab.holdBackstop();
  try {
    const thawPeer = await lab.holdMonitor(peer);
    try {
      await lab.stopServer(t);
      const bye = readHeartbeats(lab.files.store, lab.site.name)[t];
      if (!bye?.goodbye || bye.health !== 'down')
        throw new Error(`the ${t} monitor said no goodbye (${JSON.stringify(bye)}):\n${lab.serverLog(t)}`);
      await sleep(Math.max(0, Date.parse(bye.at) + lateMs - Date.now()));
      return bye;
    } finally {
      thawPeer();
      await waitFor(async () => {
        const beat = readHeartbeats(lab.files.store, lab.site.name)[peer];
        return beat !== undefined && Date.now() - Date.parse(beat.at) < 1500;
      }, 5000);
    }
  } finally {
    thawBackstop();
  }
}
