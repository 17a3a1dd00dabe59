import { fail, ok, type Result } from './result.ts';

/** Chinese licence plates (GA 36). Liaocheng plates start with 鲁P. */
export const PROVINCES = '京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼';

export type PlateKind = 'ordinary' | 'new_energy_small' | 'new_energy_large' | 'hk_macau';
export const PLATE_COLOURS = ['blue', 'yellow', 'green', 'yellow_green', 'white', 'black'] as const;
export type PlateColour = (typeof PLATE_COLOURS)[number];

export interface Plate {
  /** Normalised text without the separator dot, e.g. 鲁PA12345. */
  text: string;
  kind: PlateKind;
  province: string;
  /** Shown the way it is painted: 鲁P·A1234. */
  display: string;
}

const P = `[${PROVINCES}]`;
const RULES: Array<[PlateKind, RegExp]> = [
  ['hk_macau', /^粤Z[A-HJ-NP-Z0-9]{4}[港澳]$/u],
  ['ordinary', new RegExp(`^${P}[A-HJ-Z][A-HJ-NP-Z0-9]{4}[A-HJ-NP-Z0-9挂学警]$`, 'u')],
  ['new_energy_small', new RegExp(`^${P}[A-HJ-Z][ABCDEFGHJK][A-HJ-NP-Z0-9]\\d{4}$`, 'u')],
  ['new_energy_large', new RegExp(`^${P}[A-HJ-Z]\\d{5}[ABCDEFGHJK]$`, 'u')],
];

/** NFKC, upper case, and no dot, space or dash: how plates are compared and stored. */
export function normalizePlate(raw: string): string {
  return raw
    .normalize('NFKC')
    .toUpperCase()
    .replace(/[·•.\s-]/gu, '');
}

export function parsePlate(raw: string): Result<Plate> {
  const text = normalizePlate(raw);
  for (const [kind, re] of RULES) {
    if (re.test(text)) {
      const chars = [...text];
      return ok({ text, kind, province: chars[0], display: `${chars[0]}${chars[1]}·${chars.slice(2).join('')}` });
    }
  }
  const chars = [...text];
  if (!chars.length || !PROVINCES.includes(chars[0])) {
    return fail('bad_frame', `plate "${raw}" must start with a province character such as 鲁`);
  }
  return fail(
    'bad_frame',
    `plate "${raw}" is not a valid GA 36 plate (7 characters, or 8 for new-energy; no I or O in the serial)`,
  );
}

export const isValidPlate = (raw: string): boolean => parsePlate(raw).ok;
