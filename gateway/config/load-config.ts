import { dirname, resolve } from 'node:path';
import { loadYamlConfig } from '../../protocols/index.ts';
import { checkPlans } from '../responses/response-plan.ts';
import { loadCountyMap } from '../devices/county-map.ts';
import { GATEWAY_DEFAULTS } from './defaults.ts';
import { GatewayConfig } from './schema.ts';

/**
 * gateway.yaml, checked (schema, response plans, the map). Paths in it (dataDir, map.geojson)
 * are relative to the file, so the gateway and every admin command find the same data wherever
 * they are started from.
 */
export function loadGatewayConfig(file: string): GatewayConfig {
  return loadYamlConfig(GatewayConfig, file, {
    crossCheck: (c, problems) => {
      if (c.responses) checkPlans(c.responses, problems);
      if (c.dataDir) c.dataDir = resolve(dirname(file), c.dataDir);
      if (!c.map) return;
      c.map.geojson = resolve(dirname(file), c.map.geojson);
      try {
        loadCountyMap(c.map.geojson);
      } catch (e) {
        problems.push(`map.geojson: ${(e as Error).message}`);
      }
    },
  });
}

/** The data dir a command uses: --data-dir, else the config's dataDir, else ./data; always absolute. */
export function resolveDataDir(o: { dataDir?: string }, config: GatewayConfig | undefined): string {
  return resolve(o.dataDir ?? config?.dataDir ?? GATEWAY_DEFAULTS.dataDir);
}
