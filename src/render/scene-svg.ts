import { escapeHtml } from './escape-html.js';
import { COLOR_ROLES, type Scene, type Shape, TEXT_HEIGHT } from './graph-scene.js';

/**
 * A scene as inline SVG: presentation attributes only (no style attributes, no script), so it passes a
 * Content-Security-Policy without 'unsafe-inline'. `role="img"` with a title and description for screen readers.
 */
export function sceneSvg(scene: Scene, title: string): string {
  const body = [
    { kind: 'rect', x: 0, y: 0, w: scene.width, h: scene.height, fill: scene.background } as const,
    ...scene.shapes,
  ]
    .map(shape)
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${scene.width} ${scene.height}" role="img" aria-labelledby="g-title-${id(title)} g-desc-${id(title)}" class="graph"><title id="g-title-${id(title)}">${escapeHtml(title)}</title><desc id="g-desc-${id(title)}">${escapeHtml(scene.description)}</desc>${body}</svg>`;
}

const id = (s: string): string => s.replace(/[^a-zA-Z0-9_-]/g, '_');
/** The colour's role as a class (see COLOR_ROLES), for the page's light and dark themes. */
const cls = (color: string): string => (COLOR_ROLES[color] ? ` class="${COLOR_ROLES[color]}"` : '');
const n = (v: number): string => String(Math.round(v * 10) / 10);

function shape(s: Shape): string {
  switch (s.kind) {
    case 'rect':
      return `<rect x="${n(s.x)}" y="${n(s.y)}" width="${n(s.w)}" height="${n(s.h)}" fill="${s.fill}"${cls(s.fill)}/>`;
    case 'line':
      return `<line x1="${n(s.x1)}" y1="${n(s.y1)}" x2="${n(s.x2)}" y2="${n(s.y2)}" stroke="${s.color}" stroke-width="${s.width}"${s.dash ? ' stroke-dasharray="6 4"' : ''}${cls(s.color)}/>`;
    case 'path':
      return `<polyline points="${s.points.map(([x, y]) => `${n(x)},${n(y)}`).join(' ')}" fill="none" stroke="${s.color}" stroke-width="${s.width}" stroke-linejoin="round"${cls(s.color)}/>`;
    case 'text':
      return `<text x="${n(s.x)}" y="${n(s.y + TEXT_HEIGHT)}" fill="${s.color}"${cls(s.color)} font-family="monospace" font-size="13" text-anchor="${s.anchor}">${escapeHtml(s.text)}</text>`;
  }
}
