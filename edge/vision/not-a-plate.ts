import { PROVINCES } from '../../protocols/index.ts';

/** Why text read where a plate could be is not one. */
export type NotAPlate = 'caption' | 'han_inside' | 'too_short' | 'no_province' | 'serial';

const WHY: Record<NotAPlate, string> = {
  caption: 'longer than any plate (a timestamp, caption or sign)',
  han_inside: 'Chinese characters after the first (a sign, an address or a caption, not a plate)',
  too_short: 'fewer than 7 characters (part of a plate, or other text)',
  no_province: 'does not start with a province character (a misread plate, or other text)',
  serial: 'the letter or the serial breaks the GA 36 rules',
};

/** The last character of a plate may be one of these; any other Han character after the first means a sign. */
const HAN_ENDINGS = new Set([...'挂学警港澳使领']);
const HAN = /\p{Script=Han}/u;

/**
 * Text the recogniser read that is no valid plate, sorted by why, so that the scenes bench and
 * the alarm's `plateReason` say what was rejected: the overlay's date and time (20xx年12月21日
 * 星期二 11:34:59), a shop sign, an address painted on a truck, half a plate.
 */
export function whyNotAPlate(text: string): { code: NotAPlate; why: string } {
  const chars = [...text];
  const code: NotAPlate =
    chars.length > 8
      ? 'caption'
      : chars.slice(1).some((c, i) => HAN.test(c) && !(i === chars.length - 2 && HAN_ENDINGS.has(c)))
        ? 'han_inside'
        : chars.length < 7
          ? 'too_short'
          : !PROVINCES.includes(chars[0] ?? '')
            ? 'no_province'
            : 'serial';
  return { code, why: WHY[code] };
}
