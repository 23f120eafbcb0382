import { GLYPH_HEIGHT, GLYPH_WIDTH, glyph } from './bitmap-font.js';
import { type Scene, type Shape, TEXT_HEIGHT } from './graph-scene.js';
import { encodePng } from './png-encoder.js';

const SCALE = TEXT_HEIGHT / GLYPH_HEIGHT;
/** Horizontal advance of one character in pixels (glyph plus one pixel of spacing, scaled). */
export const CHAR_ADVANCE = (GLYPH_WIDTH + 1) * SCALE;

/** Rasterises a scene (lines, polylines, rectangles, bitmap-font text) into a PNG. */
export function scenePng(scene: Scene): Buffer {
  const { width, height } = scene;
  const rgb = new Uint8Array(width * height * 3);
  const set = (x: number, y: number, c: [number, number, number]) => {
    const xi = Math.round(x);
    const yi = Math.round(y);
    if (xi < 0 || yi < 0 || xi >= width || yi >= height) return;
    rgb.set(c, (yi * width + xi) * 3);
  };
  fillRect(set, 0, 0, width, height, hex(scene.background));
  for (const s of scene.shapes) draw(s, set);
  return encodePng(width, height, rgb);
}

type Plot = (x: number, y: number, c: [number, number, number]) => void;

function draw(s: Shape, set: Plot): void {
  switch (s.kind) {
    case 'rect':
      fillRect(set, s.x, s.y, s.w, s.h, hex(s.fill));
      return;
    case 'line':
      line(set, s.x1, s.y1, s.x2, s.y2, hex(s.color), s.width, s.dash ?? false);
      return;
    case 'path':
      for (let i = 1; i < s.points.length; i++) {
        const [a, b] = [s.points[i - 1], s.points[i]];
        if (a && b) line(set, a[0], a[1], b[0], b[1], hex(s.color), s.width, false);
      }
      return;
    case 'text': {
      const w = s.text.length * CHAR_ADVANCE;
      const x0 = s.anchor === 'start' ? s.x : s.anchor === 'middle' ? s.x - w / 2 : s.x - w;
      const c = hex(s.color);
      [...s.text].forEach((ch, i) => {
        glyph(ch).forEach((on, p) => {
          if (!on) return;
          const gx = x0 + i * CHAR_ADVANCE + (p % GLYPH_WIDTH) * SCALE;
          const gy = s.y + Math.floor(p / GLYPH_WIDTH) * SCALE;
          fillRect(set, gx, gy, SCALE, SCALE, c);
        });
      });
    }
  }
}

function fillRect(set: Plot, x: number, y: number, w: number, h: number, c: [number, number, number]): void {
  for (let yy = Math.round(y); yy < Math.round(y + h); yy++)
    for (let xx = Math.round(x); xx < Math.round(x + w); xx++) set(xx, yy, c);
}

/** A line of the given width, stepped one pixel along its longer axis; dashes are 6 on, 4 off. */
function line(
  set: Plot,
  x1: number,
  y1: number,
  x2: number,
  y2: number,
  c: [number, number, number],
  width: number,
  dash: boolean,
): void {
  const steps = Math.max(1, Math.ceil(Math.max(Math.abs(x2 - x1), Math.abs(y2 - y1))));
  const half = Math.floor(width / 2);
  for (let i = 0; i <= steps; i++) {
    if (dash && i % 10 >= 6) continue;
    const x = x1 + ((x2 - x1) * i) / steps;
    const y = y1 + ((y2 - y1) * i) / steps;
    for (let dx = -half; dx < width - half; dx++)
      for (let dy = -half; dy < width - half; dy++) set(x + dx, y + dy, c);
  }
}

function hex(color: string): [number, number, number] {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  if (!m) return [0, 0, 0];
  return [
    Number.parseInt(m[1] ?? '0', 16),
    Number.parseInt(m[2] ?? '0', 16),
    Number.parseInt(m[3] ?? '0', 16),
  ];
}
