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
  // Writes bytes directly: a chart is a few hundred thousand pixel writes, and this runs on the event loop.
  const canvas: Canvas = {
    set(x, y, c) {
      const xi = Math.round(x);
      const yi = Math.round(y);
      if (xi < 0 || yi < 0 || xi >= width || yi >= height) return;
      const i = (yi * width + xi) * 3;
      rgb[i] = c[0];
      rgb[i + 1] = c[1];
      rgb[i + 2] = c[2];
    },
    fill(x, y, w, h, c) {
      const x0 = Math.max(0, Math.round(x));
      const x1 = Math.min(width, Math.round(x + w));
      for (let yy = Math.max(0, Math.round(y)); yy < Math.min(height, Math.round(y + h)); yy++)
        for (let i = (yy * width + x0) * 3, end = (yy * width + x1) * 3; i < end; i += 3) {
          rgb[i] = c[0];
          rgb[i + 1] = c[1];
          rgb[i + 2] = c[2];
        }
    },
  };
  canvas.fill(0, 0, width, height, hex(scene.background));
  for (const s of scene.shapes) draw(s, canvas);
  return encodePng(width, height, rgb);
}

type Rgb = [number, number, number];
interface Canvas {
  set(x: number, y: number, c: Rgb): void;
  fill(x: number, y: number, w: number, h: number, c: Rgb): void;
}

function draw(s: Shape, canvas: Canvas): void {
  switch (s.kind) {
    case 'rect':
      canvas.fill(s.x, s.y, s.w, s.h, hex(s.fill));
      return;
    case 'line':
      line(canvas, s.x1, s.y1, s.x2, s.y2, hex(s.color), s.width, s.dash ?? false);
      return;
    case 'path':
      for (let i = 1; i < s.points.length; i++) {
        const [a, b] = [s.points[i - 1], s.points[i]];
        if (a && b) line(canvas, a[0], a[1], b[0], b[1], hex(s.color), s.width, false);
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
          canvas.fill(gx, gy, SCALE, SCALE, c);
        });
      });
    }
  }
}

/** A line of the given width, stepped one pixel along its longer axis; dashes are 6 on, 4 off. */
function line(
  canvas: Canvas,
  x1: number,
  y1: number,
  x2: number,
  y2: number,
  c: Rgb,
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
      for (let dy = -half; dy < width - half; dy++) canvas.set(x + dx, y + dy, c);
  }
}

function hex(color: string): Rgb {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  if (!m) return [0, 0, 0];
  return [
    Number.parseInt(m[1] ?? '0', 16),
    Number.parseInt(m[2] ?? '0', 16),
    Number.parseInt(m[3] ?? '0', 16),
  ];
}
