import { t } from './i18n.ts';
import type { DeviceRow, MapArea } from './types.ts';

const W = 900;
const H = 520;
const PAD = 24;

/**
 * The county drawn from its outlines (no tiles: the centre's network may be closed), with each
 * box as a dot coloured by its state. Longitude is shrunk by cos(latitude) so shapes keep their
 * proportions at Shandong's latitude.
 */
export function CountyMap({ areas, devices }: { areas: MapArea[]; devices: DeviceRow[] }) {
  const placed = devices.filter((d) => d.lat !== undefined && d.lon !== undefined && d.lat !== null && d.lon !== null);
  const outline = areas.flatMap((a) => a.polygons.flat(2) as unknown as Array<[number, number]>);
  // The county's outline sets the view: one box with a wrong GPS fix must not shrink the county into a corner.
  const points = outline.length ? outline : placed.map((d) => [d.lon!, d.lat!] as [number, number]);
  if (!points.length) return null;
  const lons = points.map((p) => p[0]);
  const lats = points.map((p) => p[1]);
  const [minLon, maxLon, minLat, maxLat] = [Math.min(...lons), Math.max(...lons), Math.min(...lats), Math.max(...lats)];
  const outside = (d: DeviceRow) => d.lon! < minLon || d.lon! > maxLon || d.lat! < minLat || d.lat! > maxLat;
  const strays = placed.filter(outside);
  const k = Math.cos((((minLat + maxLat) / 2) * Math.PI) / 180);
  const scale = Math.min(
    (W - 2 * PAD) / Math.max(1e-6, (maxLon - minLon) * k),
    (H - 2 * PAD) / Math.max(1e-6, maxLat - minLat),
  );
  const xy = (lon: number, lat: number): [number, number] => [
    PAD + (lon - minLon) * k * scale,
    PAD + (maxLat - lat) * scale,
  ];
  // A box outside the outline is drawn on its edge, hollow, in the direction it lies.
  const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
  const at = (d: DeviceRow): [number, number] => xy(clamp(d.lon!, minLon, maxLon), clamp(d.lat!, minLat, maxLat));
  const path = (rings: Array<Array<[number, number]>>) =>
    rings
      .map(
        (r) =>
          `M${r
            .map(([lo, la]) =>
              xy(lo, la)
                .map((v) => v.toFixed(1))
                .join(','),
            )
            .join('L')}Z`,
      )
      .join('');
  const centre = (a: MapArea): [number, number] => {
    const ring = a.polygons[0][0];
    return xy(ring.reduce((s, p) => s + p[0], 0) / ring.length, ring.reduce((s, p) => s + p[1], 0) / ring.length);
  };
  const colour = (d: DeviceRow) => (d.state !== 'online' ? '#d32f2f' : d.flags.length ? '#ef6c00' : '#2e7d32');
  return (
    <figure class="county-map-figure">
      <svg class="county-map" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={t('mapLabel')} data-testid="map">
        {areas.map((a) => (
          <path key={a.name} d={a.polygons.map(path).join('')} class={`area ${a.level}`}>
            <title>{a.name}</title>
          </path>
        ))}
        {areas.map((a) => {
          const [x, y] = centre(a);
          // A name wider than its outline on screen would only cover its neighbours: left to the hover title.
          const ring = a.polygons[0][0].map(([lo, la]) => xy(lo, la));
          const width = Math.max(...ring.map((p) => p[0])) - Math.min(...ring.map((p) => p[0]));
          if (width < a.name.length * 13) return null;
          return (
            <text
              key={`${a.name}-label`}
              x={x}
              y={a.level === 'township' ? y - 40 : y + 22}
              class={`area-label ${a.level}`}
            >
              {a.name}
            </text>
          );
        })}
        {placed.map((d) => {
          const [x, y] = at(d);
          const stray = strays.includes(d);
          return (
            <a key={d.id} href={`#/devices/${d.id}`}>
              <circle
                cx={x}
                cy={y}
                r={7}
                fill={stray ? '#fff' : colour(d)}
                stroke={stray ? colour(d) : '#fff'}
                stroke-width={stray ? 3 : 2}
                data-device={d.id}
                data-state={d.state}
                data-outside={stray ? 'true' : undefined}
              >
                <title>{`${d.id} ${[d.township, d.village, d.crossing].filter(Boolean).join(' ')}${stray ? ` · ${t('mapOutside')}` : ''}`}</title>
              </circle>
            </a>
          );
        })}
      </svg>
      <figcaption>
        <ul class="legend" data-testid="map-legend">
          <li>
            <span class="dot" style={{ background: '#2e7d32' }} /> {t('online')}
          </li>
          <li>
            <span class="dot" style={{ background: '#ef6c00' }} /> {t('mapFlagged')}
          </li>
          <li>
            <span class="dot" style={{ background: '#d32f2f' }} /> {t('offlineState')}
          </li>
          {outline.length > 0 && (
            <li>
              <span class="dot hollow" /> {t('mapOutside')}
            </li>
          )}
        </ul>
        {outline.length > 0 && strays.length > 0 && (
          <p class="error" data-testid="map-strays">
            {t('mapStrays', { n: strays.length, ids: strays.map((d) => d.id).join('、') })}
          </p>
        )}
      </figcaption>
    </figure>
  );
}
