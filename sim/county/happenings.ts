import type { County } from '../testing/county.ts';

/** One scripted happening: at `atS` seconds after the start, `line` (a tester command). */
export interface Happening {
  atS: number;
  line: string;
}

export const HAPPENINGS_HELP =
  'tricycle <box> [riders] [plate] · burn <box> [channel] · fix <box> [channel] · cut <box> · restore <box> · boxes · help' +
  ' (a box is its number from 1, or its id)';

/**
 * A script of happenings, one per line: `<seconds> <command>`, e.g. `5 tricycle 3 4 鲁PA3N82`,
 * `12 burn 2 1`, `20 cut 4`, `40 restore 4`. Blank lines and `#` comments are skipped; a bad line
 * is refused with its number.
 */
export function parseScript(text: string): Happening[] {
  const out: Happening[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    const m = /^(\d+(?:\.\d+)?)\s*s?\s+(.+)$/.exec(line);
    if (!m) throw new Error(`script line ${i + 1}: "${raw.trim()}" — write "<seconds> <command>", e.g. "5 tricycle 3"`);
    out.push({ atS: Number(m[1]), line: m[2] });
  });
  return out.sort((a, b) => a.atS - b.atS);
}

const boxOf = (county: County, ref: string | undefined): string => {
  if (!ref) throw new Error(`name a box: its number (1–${county.boxes.length}) or its id`);
  const n = Number(ref);
  return Number.isInteger(n) ? county.box(n - 1).spec.id : county.box(ref).spec.id;
};

/** Carry out one tester command on the county; returns what happened, or throws with how to say it right. */
export async function happen(county: County, line: string): Promise<string> {
  const [cmd, ref, a, b] = line.trim().split(/\s+/);
  switch (cmd) {
    case 'tricycle': {
      const id = boxOf(county, ref);
      await county.tricycle(id, { riders: a ? Number(a) : undefined, plate: b });
      return `${id}: a tricycle carrying ${a ?? 3} passes${b ? ` (plate ${b})` : ''}; the box warns and reports`;
    }
    case 'burn':
    case 'fix': {
      const id = boxOf(county, ref);
      const hw = county.box(id).hardware;
      if (!hw) throw new Error('this county runs without simulated hardware (--hardware none)');
      return `${id}: ${await hw.control(`${cmd} ${a ?? 1}`)}`;
    }
    case 'cut':
      county.cutLink(boxOf(county, ref));
      return `${boxOf(county, ref)}: link cut`;
    case 'restore':
      county.restoreLink(boxOf(county, ref));
      return `${boxOf(county, ref)}: link restored`;
    case 'boxes':
      return county.boxes
        .map(
          (x, i) =>
            `${String(i + 1).padStart(4)} ${x.spec.id} ${x.spec.township ?? ''} ${x.spec.village ?? ''} ${x.link.isUp ? '' : '(link cut)'}`,
        )
        .join('\n');
    default:
      throw new Error(`commands: ${HAPPENINGS_HELP}`);
  }
}
