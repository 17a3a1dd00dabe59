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
  const points = [
    ...areas.flatMap((a) => a.polygons.flat(2) as unknown as Array<[number, number]>),
    ...placed.map((d) => [d.lon!, d.lat!] as [number, number]),
  ];
  if (!points.length) return null;
  const lons = points.map((p) => p[0]);
  const lats = points.map((p) => p[1]);
  const [minLon, maxLon, minLat, maxLat] = [Math.min(...lons), Math.max(...lons), Math.min(...lats), Math.max(...lats)];
  const k = Math.cos((((minLat + maxLat) / 2) * Math.PI) / 180);
  const scale = Math.min(
    (W - 2 * PAD) / Math.max(1e-6, (maxLon - minLon) * k),
    (H - 2 * PAD) / Math.max(1e-6, maxLat - minLat),
  );
  const xy = (lon: number, lat: number): [number, number] => [
    PAD + (lon - minLon) * k * scale,
    PAD + (maxLat - lat) * scale,
  ];
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
    <svg class="county-map" viewBox={`0 0 ${W} ${H}`} role="img" aria-label="county map" data-testid="map">
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
        const [x, y] = xy(d.lon!, d.lat!);
        return (
          <a key={d.id} href={`#/devices/${d.id}`}>
            <circle
              cx={x}
              cy={y}
              r={7}
              fill={colour(d)}
              stroke="#fff"
              stroke-width={2}
              data-device={d.id}
              data-state={d.state}
            >
              <title>{`${d.id} ${[d.township, d.village, d.crossing].filter(Boolean).join(' ')}`}</title>
            </circle>
          </a>
        );
      })}
    </svg>
  );
}
