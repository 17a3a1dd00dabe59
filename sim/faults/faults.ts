/** Line faults a tester can switch on at run time, per simulated device. */
export interface LineFaults {
  /** Drop this fraction of replies (1 = a dead device that still holds the line). */
  dropReplies: number;
  /** Flip a bit in the CRC/checksum of this fraction of replies. */
  corruptReplies: number;
  /** Answer this late. */
  replyDelayMs: number;
}

export const NO_FAULTS: LineFaults = { dropReplies: 0, corruptReplies: 0, replyDelayMs: 0 };

export function parseFaultSpec(spec: string): Partial<LineFaults> {
  const out: Partial<LineFaults> = {};
  for (const part of spec.split(',').filter(Boolean)) {
    const [k, v = '1'] = part.split('=');
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`fault "${part}": value must be a non-negative number`);
    switch (k) {
      case 'drop':
        out.dropReplies = Math.min(1, n);
        break;
      case 'corrupt':
        out.corruptReplies = Math.min(1, n);
        break;
      case 'delay':
        out.replyDelayMs = n;
        break;
      default:
        throw new Error(`unknown fault "${k}" (known: drop[=fraction], corrupt[=fraction], delay=ms)`);
    }
  }
  return out;
}
