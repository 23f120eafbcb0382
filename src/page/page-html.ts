import type { Health } from '../domain/health.js';
import { escapeHtml as h } from '../render/escape-html.js';

/** Every health state has a symbol and a word beside its colour, so it reads without colour too. */
export const HEALTH: Record<Health, { symbol: string; label: string }> = {
  healthy: { symbol: '✓', label: 'healthy' },
  degraded: { symbol: '!', label: 'degraded' },
  down: { symbol: '✗', label: 'down' },
  unknown: { symbol: '?', label: 'unknown' },
};

/** Cells are already escaped HTML; each carries its column's name, which a phone shows beside it. */
export const cells = (head: string[], row: string[]): string =>
  row.map((c, i) => `<td data-label="${h(head[i] ?? '')}">${c}</td>`).join('');

/** A site's element id (a part's id on the page and in the feed). */
export const siteId = (name: string): string => `site-${slug(name)}`;

export const time = (iso: string): string => `<time datetime="${h(iso)}">${h(clock(iso))}</time>`;
export const clock = (iso: string): string =>
  Number.isNaN(Date.parse(iso)) ? iso : new Date(iso).toISOString().slice(0, 19).replace('T', ' ');
export const fmt = (n: number): string => (Math.round(n * 10) / 10).toString();
const slug = (s: string): string => s.replace(/[^a-zA-Z0-9_-]/g, '_');
