import { registerAlarms } from '../features/alarms.js';
import { registerApprovals } from '../features/approvals.js';
import { registerCerts } from '../features/certs.js';
import { registerController } from '../features/controller.js';
import { registerGithub } from '../features/github.js';
import { registerStatus } from '../features/status.js';
import { registerStatusPage } from '../features/status-page.js';
import type { AppContext } from './context.js';

/** Each feature wires one use case into the transports. Order matters only for route registration. */
export type Feature = (ctx: AppContext) => Promise<void> | void;

export const FEATURES: Feature[] = [
  registerStatus,
  registerApprovals,
  registerController,
  registerGithub,
  registerAlarms,
  registerCerts,
  registerStatusPage,
];
