/**
 * Draws the tab bar's icons (首页 / 分类 / 购物车 / 我的) as 81×81 PNG files in src/static/tabbar,
 * the size WeChat recommends for tabBar.list[].iconPath (local files only, at most 40 KB).
 * Run it again after changing a shape or a colour: `node scripts/tab-icons.mjs`.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';

const SIZE = 81;
const STROKE = 0.075;
const COLORS = { normal: [0x5f, 0x63, 0x68], active: [0xb8, 0x27, 0x1d] };

/** Distance from p to the segment a–b, all in the unit square. */
function toSegment([px, py], [ax, ay], [bx, by]) {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

const polyline =
  (...points) =>
  (p) =>
    points.slice(1).some((b, i) => toSegment(p, points[i], b) <= STROKE / 2);
const ring =
  (cx, cy, r, keep = () => true) =>
  (p) =>
    Math.abs(Math.hypot(p[0] - cx, p[1] - cy) - r) <= STROKE / 2 && keep(p);
const disc = (cx, cy, r) => (p) => Math.hypot(p[0] - cx, p[1] - cy) <= r;
const square = (x, y, s) => polyline([x, y], [x + s, y], [x + s, y + s], [x, y + s], [x, y]);

const ICONS = {
  home: [
    polyline([0.14, 0.5], [0.5, 0.17], [0.86, 0.5]),
    polyline([0.25, 0.42], [0.25, 0.84], [0.75, 0.84], [0.75, 0.42]),
    polyline([0.43, 0.84], [0.43, 0.64], [0.57, 0.64], [0.57, 0.84]),
  ],
  category: [square(0.17, 0.17, 0.26), square(0.57, 0.17, 0.26), square(0.17, 0.57, 0.26), ring(0.7, 0.7, 0.14)],
  cart: [
    polyline([0.1, 0.2], [0.22, 0.2], [0.32, 0.64], [0.8, 0.64]),
    polyline([0.25, 0.32], [0.88, 0.32], [0.8, 0.64]),
    disc(0.38, 0.8, 0.065),
    disc(0.74, 0.8, 0.065),
  ],
  me: [ring(0.5, 0.34, 0.16), ring(0.5, 0.98, 0.36, ([, y]) => y <= 0.86)],
};

function png(shapes, [r, g, b]) {
  const rows = [];
  const SUB = 4;
  for (let y = 0; y < SIZE; y++) {
    const row = [0]; // filter: none
    for (let x = 0; x < SIZE; x++) {
      let hits = 0;
      for (let sy = 0; sy < SUB; sy++)
        for (let sx = 0; sx < SUB; sx++) {
          const p = [(x + (sx + 0.5) / SUB) / SIZE, (y + (sy + 0.5) / SUB) / SIZE];
          if (shapes.some((inside) => inside(p))) hits++;
        }
      row.push(r, g, b, Math.round((255 * hits) / (SUB * SUB)));
    }
    rows.push(Buffer.from(row));
  }
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(SIZE, 0);
  header.writeUInt32BE(SIZE, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows), { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const outDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'static', 'tabbar');
for (const [name, shapes] of Object.entries(ICONS)) {
  writeFileSync(path.join(outDir, `${name}.png`), png(shapes, COLORS.normal));
  writeFileSync(path.join(outDir, `${name}-active.png`), png(shapes, COLORS.active));
}
