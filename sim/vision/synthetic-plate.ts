import { execFileSync } from 'node:child_process';
import sharp from 'sharp';

export const PLATE_FONT = 'WenQuanYi Zen Hei';

/** Whether the CJK font the synthetic plates need is installed (Debian fonts-wqy-zenhei; .ci/run installs it). */
export function haveCjkFont(): boolean {
  try {
    return execFileSync('fc-list', [':lang=zh'], { encoding: 'utf8' }).includes(PLATE_FONT);
  } catch {
    return false;
  }
}

const COLOURS = {
  blue: { bg: '#0b3fa6', fg: '#ffffff' },
  yellow: { bg: '#f2c21b', fg: '#111111' },
  green: { bg: '#5fc26e', fg: '#111111' },
} as const;

/**
 * A plate as GA 36 draws it, rendered from SVG with a CJK font: one row (440×140 mm: 鲁P·A1234) or
 * the double row of tricycles and farm vehicles (440×220 mm: 鲁P over 12345). Returns a JPEG.
 */
export async function renderPlate(o: {
  text: string;
  colour?: keyof typeof COLOURS;
  rows?: 1 | 2;
  scale?: number;
}): Promise<Buffer> {
  const { bg, fg } = COLOURS[o.colour ?? (o.rows === 2 ? 'yellow' : 'blue')];
  const chars = [...o.text];
  const s = o.scale ?? 1;
  const font = `font-family="${PLATE_FONT}" fill="${fg}" text-anchor="middle"`;
  let w: number;
  let h: number;
  let body: string;
  if (o.rows === 2) {
    [w, h] = [440, 220];
    body = `<text x="220" y="82" ${font} font-size="70" letter-spacing="30">${chars.slice(0, 2).join('')}</text>
      <text x="220" y="196" ${font} font-size="108" letter-spacing="8">${chars.slice(2).join('')}</text>`;
  } else {
    [w, h] = [440, 140];
    body = `<text x="220" y="102" ${font} font-size="86" letter-spacing="4">${chars.slice(0, 2).join('')}·${chars.slice(2).join('')}</text>`;
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w * s}" height="${h * s}" viewBox="0 0 ${w} ${h}">
    <rect width="${w}" height="${h}" rx="10" fill="${bg}"/><rect x="6" y="6" width="${w - 12}" height="${h - 12}" rx="8" fill="none" stroke="${fg}" stroke-width="4"/>${body}</svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 90 }).toBuffer();
}

/** A road-grey frame (default 1280×720) with the plate pasted at (x, y), scaled to `plateWidth` pixels. */
export async function sceneWithPlate(
  plate: Buffer,
  o: { x: number; y: number; plateWidth: number; width?: number; height?: number },
): Promise<Buffer> {
  const p = await sharp(plate).resize({ width: o.plateWidth }).toBuffer();
  return sharp({
    create: { width: o.width ?? 1280, height: o.height ?? 720, channels: 3, background: { r: 96, g: 100, b: 104 } },
  })
    .composite([{ input: p, left: o.x, top: o.y }])
    .jpeg({ quality: 88 })
    .toBuffer();
}
