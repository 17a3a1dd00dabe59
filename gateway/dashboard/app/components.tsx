import type { ComponentChildren } from 'preact';
import type { Alarm, Photo, ResponseKind, ResponseState } from './types.ts';
import { responseLabel, stateLabel, t, type WordKey } from './i18n.ts';

const KINDS: ResponseKind[] = ['onsite', 'village', 'police'];

/** The three responses of 一报警三响应 as chips, coloured by state. */
export function Chips({ responses }: { responses: Partial<Record<ResponseKind, ResponseState>> }) {
  return (
    <span class="chips">
      {KINDS.map((k) => {
        const s = responses[k];
        return (
          <span
            class={`chip state-${s ?? 'none'}`}
            data-kind={k}
            data-state={s ?? 'none'}
            title={`${responseLabel(k)}: ${s ? stateLabel(s) : '—'}`}
          >
            {responseLabel(k)} · {s ? stateLabel(s) : '—'}
          </span>
        );
      })}
    </span>
  );
}

const COLOURS: Record<string, string> = { vehicle: '#ff9800', person: '#29b6f6', plate: '#00e676', face: '#e040fb' };

/** The evidence frame with what was recognised drawn over it (boxes scale with the image). */
export function EvidencePhoto({ photo, large }: { photo: Photo; large?: boolean }) {
  const stroke = Math.max(2, Math.round(photo.width / 320));
  return (
    <div class={large ? 'photo large' : 'photo'}>
      <img src={photo.url} alt="" loading="lazy" width={photo.width} height={photo.height} />
      <svg viewBox={`0 0 ${photo.width} ${photo.height}`} preserveAspectRatio="none" aria-hidden="true">
        {photo.boxes.map((b, i) => (
          <g key={i}>
            <rect
              x={b.box[0]}
              y={b.box[1]}
              width={b.box[2]}
              height={b.box[3]}
              fill="none"
              stroke={COLOURS[b.what] ?? '#fff'}
              stroke-width={stroke}
            />
            {large && (
              <text
                x={b.box[0]}
                y={Math.max(b.box[1] - 6, 16)}
                fill={COLOURS[b.what] ?? '#fff'}
                font-size={Math.max(14, photo.width / 60)}
              >
                {b.label}
              </text>
            )}
          </g>
        ))}
      </svg>
    </div>
  );
}

/** The plate as read; characters the box was unsure of are marked, and the plate says it is only a lead. */
export function PlateText({ plate }: { plate: Alarm['plate'] }) {
  if (!plate) return <span class="plate none">{t('noPlate')}</span>;
  const unsure = new Set(plate.uncertain ?? []);
  return (
    <span
      class={`plate colour-${plate.colour ?? 'unknown'}${unsure.size ? ' uncertain' : ''}`}
      title={plate.masked ? t('masked') : unsure.size ? t('plateUncertainHelp') : undefined}
      data-testid="plate"
    >
      {[...plate.text].map((ch, i) => (unsure.has(i) ? <mark>{ch}</mark> : ch))}
      {unsure.size ? (
        <small class="unsure"> {t('plateUncertain')}</small>
      ) : (
        plate.score !== null && <small> {Math.round(plate.score * 100)}%</small>
      )}
    </span>
  );
}

export const placeOf = (a: Alarm): string =>
  [a.place.township, a.place.village, a.place.crossing].filter(Boolean).join(' ') || a.deviceId;

/** A plain table: translated headings, one row per item. */
export function DataTable<T>({
  heads,
  rows,
  row,
  rowKey,
  testid,
  class: cls = 'data',
}: {
  heads: WordKey[];
  rows: T[];
  row: (r: T) => ComponentChildren[];
  rowKey: (r: T, i: number) => string;
  testid?: string;
  class?: string;
}) {
  return (
    <table class={cls} data-testid={testid}>
      <thead>
        <tr>
          {heads.map((h) => (
            <th key={h}>{t(h)}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => (
          <tr key={rowKey(r, i)} data-row={rowKey(r, i)}>
            {row(r).map((c, k) => (
              <td key={k}>{c}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
