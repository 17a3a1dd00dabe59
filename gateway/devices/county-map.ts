import { readFileSync } from 'node:fs';

type Ring = Array<[number, number]>;

/** One outline of the county map: a township or a village, with its rings of [lon, lat]. */
export interface MapArea {
  name: string;
  /** 'township' or 'village' (properties.level), for drawing townships bolder. */
  level: string;
  polygons: Ring[][];
}

export class MapError extends Error {
  override readonly name = 'MapError';
}

const isPosition = (p: unknown): p is [number, number] =>
  Array.isArray(p) &&
  p.length >= 2 &&
  typeof p[0] === 'number' &&
  typeof p[1] === 'number' &&
  Math.abs(p[0]) <= 180 &&
  Math.abs(p[1]) <= 90;

/**
 * The county's outlines from a GeoJSON FeatureCollection of Polygon/MultiPolygon features named
 * by properties.name (level from properties.level). Drawn by the dashboard over no tiles at all,
 * so it works on a closed network. A feature that is not an outline is refused with its index.
 */
export function loadCountyMap(file: string): MapArea[] {
  let doc: {
    type?: string;
    features?: Array<{ geometry?: { type?: string; coordinates?: unknown }; properties?: Record<string, unknown> }>;
  };
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new MapError(
      `map ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `not JSON (${(e as Error).message})`}`,
    );
  }
  if (doc.type !== 'FeatureCollection' || !Array.isArray(doc.features))
    throw new MapError(`map ${file}: not a GeoJSON FeatureCollection`);
  return doc.features.map((f, i) => {
    const where = `map ${file}: features[${i}]`;
    const name = f.properties?.name;
    if (typeof name !== 'string' || !name)
      throw new MapError(`${where} has no properties.name (the township or village it outlines)`);
    const g = f.geometry;
    const polys =
      g?.type === 'Polygon' ? [g.coordinates] : g?.type === 'MultiPolygon' ? (g.coordinates as unknown[]) : undefined;
    if (!polys)
      throw new MapError(
        `${where} (${name}) is a ${g?.type ?? 'feature without geometry'}, not a Polygon or MultiPolygon`,
      );
    const ok = polys.every(
      (p) => Array.isArray(p) && p.every((ring) => Array.isArray(ring) && ring.length >= 4 && ring.every(isPosition)),
    );
    if (!ok) throw new MapError(`${where} (${name}) has a ring that is not at least four [lon, lat] positions`);
    return {
      name,
      level: typeof f.properties?.level === 'string' ? f.properties.level : 'area',
      polygons: polys as Ring[][],
    };
  });
}
