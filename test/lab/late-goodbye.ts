import type { Heartbeat } from '../../src/domain/heartbeat.js';
import type { Lab } from './lab.js';
import { readHeartbeats } from './lab-observe.js';
import { type LabTunnel, TUNNELS } from './lab-plan.js';
import { sleep, waitFor } from './netns.js';

/** `t`'s monitor wrote a heartbeat after `since` and within the last 1.5 s (its fall of rounds), saying `health` if given. */
const fresh = (lab: Lab, t: LabTunnel, health?: Heartbeat['health'], since = 0): boolean => {
  const beat = readHeartbeats(lab.files.store, lab.site.name)[t];
  if (!beat || (health && beat.health !== health)) return false;
  const at = Date.parse(beat.at);
  return at > since && Date.now() - at < 1500;
};

/**
 * Restarts `t`'s server with a monitor that runs no fast path, so that only the other side decides on its
 * goodbye (as when the stopping side's own decision is cut short by its stop timeout), and puts the routes back
 * on it once its monitor reports up (the restart is an outage of its own, which the other side may act on).
 */
export async function restartWithoutFastPath(lab: Lab, t: LabTunnel): Promise<void> {
  const restarted = Date.now();
  await lab.startServer(t, { MONITOR_FAST_PATH: '0' });
  // Written by the new monitor: the old one's last heartbeat may still look fresh.
  if (!(await waitFor(async () => fresh(lab, t, 'up', restarted), 60_000, 250)))
    throw new Error(`the ${t} monitor did not report up again:\n${lab.serverLog(t)}`);
  await lab.pointRoutesAt(t);
}

/**
 * `t`'s server stops gracefully (SIGTERM) and the deciders read its monitor's goodbye only `lateMs` after it was
 * written: the other host's monitor and the backstop are held meanwhile (SIGSTOP), as an overloaded machine
 * holds them. The monitor is thawed first, and the backstop once that monitor writes again (else a backstop tick
 * could find it stale too). Returns the goodbye heartbeat.
 */
export async function stopWithGoodbyeReadLate(lab: Lab, t: LabTunnel, lateMs: number): Promise<Heartbeat> {
  const peer = TUNNELS.find((x) => x !== t)!;
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
      await waitFor(async () => fresh(lab, peer), 5000);
    }
  } finally {
    thawBackstop();
  }
}
