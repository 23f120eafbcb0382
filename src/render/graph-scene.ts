import type { HealthGraph } from '../domain/health-graph.js';
import type { ProbePoint } from '../domain/observations.js';

/** Drawing primitives both graph renderers understand (SVG for the page, PNG for Slack). */
export type Shape =
  | { kind: 'rect'; x: number; y: number; w: number; h: number; fill: string }
  | {
      kind: 'line';
      x1: number;
      y1: number;
      x2: number;
      y2: number;
      color: string;
      width: number;
      dash?: boolean;
    }
  | { kind: 'path'; points: Array<[number, number]>; color: string; width: number }
  | { kind: 'text'; x: number; y: number; text: string; color: string; anchor: 'start' | 'middle' | 'end' };

export interface Scene {
  width: number;
  height: number;
  background: string;
  /** A sentence saying what the graph shows, for screen readers and alt text. */
  description: string;
  shapes: Shape[];
}

/** Text height in scene units (the PNG font is 5 px scaled by 2). */
export const TEXT_HEIGHT = 10;
/** Colour-blind-safe hues; every colour also has its tunnel's name beside it in the legend. */
const TUNNEL_COLORS = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00'];
const FAILOVER_COLOR = '#d62728';
const INK = '#1f2937';
const GRID = '#d1d5db';
const BACKGROUND = '#ffffff';

/**
 * The role of each fixed colour, so a page can theme the graph from its stylesheet (the SVG marks each shape
 * with its role's class; CSS rules outrank presentation attributes). The PNG keeps these light colours.
 */
export const COLOR_ROLES: Readonly<Record<string, string>> = {
  [BACKGROUND]: 'g-bg',
  [INK]: 'g-ink',
  [GRID]: 'g-grid',
  [FAILOVER_COLOR]: 'g-failover',
  ...Object.fromEntries(TUNNEL_COLORS.map((c, i) => [c, `g-s${i}`])),
};
const W = 800;
const H = 400;
const LEFT = 60;
const RIGHT = W - 20;
const LOSS = { top: 64, bottom: 190 };
const LATENCY = { top: 222, bottom: 348 };

export const tunnelColor = (index: number): string => TUNNEL_COLORS[index % TUNNEL_COLORS.length] ?? INK;

type Anchor = 'start' | 'middle' | 'end';
type Box = { top: number; bottom: number };
/** Where a time falls along x. */
type XOf = (at: number) => number;

function text(shapes: Shape[], x: number, y: number, t: string, color = INK, anchor: Anchor = 'start'): void {
  shapes.push({ kind: 'text', x, y, text: t, color, anchor });
}

/** Lays the graph out: a loss panel (0-100 %) over a latency panel (0 to a round maximum), time along x. */
export function healthGraphScene(g: HealthGraph): Scene {
  const shapes: Shape[] = [];
  const span = Math.max(1, g.endMs - g.startMs);
  const xOf: XOf = (at) => LEFT + ((at - g.startMs) / span) * (RIGHT - LEFT);
  const minutes = Math.round(span / 60_000);
  text(shapes, LEFT, 8, `${g.site}: probe loss and latency, last ${minutes} min`);
  legend(shapes, g);
  const maxLatency = niceMax(Math.max(0, ...g.tunnels.flatMap((t) => t.points.map((p) => p.latencyMs ?? 0))));
  panel(
    shapes,
    LOSS,
    'loss %',
    [0, 50, 100].map((v) => [v, `${v}%`]),
  );
  panel(
    shapes,
    LATENCY,
    'latency ms',
    [0, maxLatency / 2, maxLatency].map((v) => [(v / maxLatency) * 100, `${round(v)}`]),
  );
  timeTicks(shapes, g.startMs, minutes, xOf);
  g.tunnels.forEach((t, i) => {
    tunnelLines(shapes, t.points, tunnelColor(i), xOf, maxLatency);
  });
  for (const f of g.failovers) failoverMark(shapes, xOf(f.at), f.to);
  return { width: W, height: H, background: BACKGROUND, description: describe(g), shapes };
}

/** Each tunnel's colour beside its name (and state), then the failover mark's, when there is one. */
function legend(shapes: Shape[], g: HealthGraph): void {
  let lx = LEFT;
  g.tunnels.forEach((t, i) => {
    const label = `${t.name}${t.name === g.activeTunnel ? ' (active)' : ''}${t.unknown ? ': no data' : ''}`;
    shapes.push({ kind: 'rect', x: lx, y: 30, w: 18, h: 6, fill: tunnelColor(i) });
    text(shapes, lx + 24, 28, label);
    lx += 24 + label.length * 8 + 24;
  });
  if (g.failovers.length) {
    shapes.push({
      kind: 'line',
      x1: lx,
      y1: 33,
      x2: lx + 18,
      y2: 33,
      color: FAILOVER_COLOR,
      width: 2,
      dash: true,
    });
    text(shapes, lx + 24, 28, 'failover', FAILOVER_COLOR);
  }
}

/** Minute marks under the latency panel, counting back from "now". */
function timeTicks(shapes: Shape[], startMs: number, minutes: number, xOf: XOf): void {
  for (let m = 0; m <= minutes; m += Math.max(5, Math.round(minutes / 4 / 5) * 5)) {
    const x = xOf(startMs + m * 60_000);
    shapes.push({
      kind: 'line',
      x1: x,
      y1: LATENCY.bottom,
      x2: x,
      y2: LATENCY.bottom + 4,
      color: INK,
      width: 1,
    });
    text(shapes, x, LATENCY.bottom + 10, m === minutes ? 'now' : `-${minutes - m}m`, INK, 'middle');
  }
}

/** One tunnel's loss and latency lines, broken where it has no data. */
function tunnelLines(
  shapes: Shape[],
  points: readonly ProbePoint[],
  color: string,
  xOf: XOf,
  maxLatency: number,
): void {
  for (const run of runs(points, (p) => p.lossPct))
    shapes.push({ kind: 'path', points: run.map(([at, v]) => [xOf(at), yOf(LOSS, v)]), color, width: 2 });
  for (const run of runs(points, (p) => p.latencyMs))
    shapes.push({
      kind: 'path',
      points: run.map(([at, v]) => [xOf(at), yOf(LATENCY, (v / maxLatency) * 100)]),
      color,
      width: 2,
    });
}

/** A dashed line through both panels where a failover happened, labelled with where it went. */
function failoverMark(shapes: Shape[], x: number, to: string | null): void {
  shapes.push({
    kind: 'line',
    x1: x,
    y1: LOSS.top,
    x2: x,
    y2: LATENCY.bottom,
    color: FAILOVER_COLOR,
    width: 2,
    dash: true,
  });
  // Near the right edge the label goes to the left of its line, so it is never cut off.
  const right = x > RIGHT - 140;
  text(
    shapes,
    right ? x - 4 : x + 4,
    LOSS.top + 4,
    `-> ${to ?? '?'}`,
    FAILOVER_COLOR,
    right ? 'end' : 'start',
  );
}

function panel(shapes: Shape[], box: Box, label: string, ticks: Array<[number, string]>): void {
  for (const [pct, tick] of ticks) {
    const y = yOf(box, pct);
    shapes.push({ kind: 'line', x1: LEFT, y1: y, x2: RIGHT, y2: y, color: GRID, width: 1 });
    text(shapes, LEFT - 6, y - TEXT_HEIGHT / 2, tick, INK, 'end');
  }
  shapes.push({ kind: 'line', x1: LEFT, y1: box.top, x2: LEFT, y2: box.bottom, color: INK, width: 1 });
  text(shapes, LEFT, box.top - 16, label);
}

const yOf = (box: Box, pct: number): number =>
  box.bottom - (Math.min(100, Math.max(0, pct)) / 100) * (box.bottom - box.top);

/** Consecutive points that have a value: a gap in the data is a gap in the line. */
function runs(
  points: readonly ProbePoint[],
  value: (p: ProbePoint) => number | null,
): Array<Array<[number, number]>> {
  const out: Array<Array<[number, number]>> = [];
  let current: Array<[number, number]> = [];
  for (const p of points) {
    const v = value(p);
    if (v === null) {
      if (current.length) out.push(current);
      current = [];
    } else current.push([p.at, v]);
  }
  if (current.length) out.push(current);
  return out.map((r) => (r.length === 1 && r[0] ? [r[0], [r[0][0] + 1, r[0][1]]] : r));
}

/** A round axis maximum (1, 2 or 5 times a power of ten) at or above the data, at least 10 ms. */
function niceMax(v: number): number {
  const target = Math.max(10, v);
  const p = 10 ** Math.floor(Math.log10(target));
  for (const m of [1, 2, 5, 10]) if (m * p >= target) return m * p;
  return 10 * p;
}

const round = (v: number): number => Math.round(v * 10) / 10;

function describe(g: HealthGraph): string {
  const parts = g.tunnels.map((t) => {
    if (t.unknown) return `${t.name}: no data (${t.unknown})`;
    const last = t.points.at(-1);
    const loss =
      last?.lossPct === null || last?.lossPct === undefined ? 'no loss data' : `${round(last.lossPct)}% loss`;
    const lat =
      last?.latencyMs === null || last?.latencyMs === undefined
        ? 'no latency'
        : `${round(last.latencyMs)} ms`;
    return `${t.name}${t.name === g.activeTunnel ? ' (active)' : ''} now ${loss}, ${lat}`;
  });
  const fo = g.failovers.length
    ? `; ${g.failovers.length} failover(s), last to ${g.failovers.at(-1)?.to ?? 'unknown'}`
    : '; no failover';
  return `Health of ${g.site} over the last ${Math.round((g.endMs - g.startMs) / 60_000)} minutes: ${parts.join('; ')}${fo}.`;
}
