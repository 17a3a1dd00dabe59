import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadYamlConfig } from '../../protocols/index.ts';
import { checkPlans } from '../responses/response-plan.ts';
import { loadCountyMap } from '../devices/county-map.ts';
import { checkBroker } from './broker-type.ts';
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
      checkBroker(c, problems);
      if (c.dataDir) c.dataDir = resolve(dirname(file), c.dataDir);
      for (const [where, tls] of [
        ['broker.tls', c.broker?.tls],
        ['http.tls', c.http?.tls],
      ] as const) {
        if (!tls) continue;
        tls.certFile = resolve(dirname(file), tls.certFile);
        tls.keyFile = resolve(dirname(file), tls.keyFile);
        checkTlsFiles(where, tls, problems);
      }
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

/** A certificate and key the server can really use: readable, PEM, and belonging together. */
function checkTlsFiles(where: string, tls: { certFile: string; keyFile: string }, problems: string[]): void {
  const read = (key: 'certFile' | 'keyFile') => {
    try {
      return readFileSync(tls[key]);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      problems.push(
        `${where}.${key}: ${tls[key]}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'not readable by this user' : (e as Error).message}`,
      );
      return undefined;
    }
  };
  const [cert, key] = [read('certFile'), read('keyFile')];
  if (!cert || !key) return;
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch {
    return void problems.push(`${where}.certFile: ${tls.certFile} is not a PEM certificate`);
  }
  try {
    if (!x509.checkPrivateKey(createPrivateKey(key)))
      problems.push(`${where}.keyFile: ${tls.keyFile} is not the key of ${tls.certFile}`);
  } catch {
    problems.push(`${where}.keyFile: ${tls.keyFile} is not a PEM private key (or it is encrypted)`);
  }
  if (new Date(x509.validTo) < new Date())
    problems.push(`${where}.certFile: ${tls.certFile} expired on ${x509.validTo}`);
}

/** The data dir a command uses: --data-dir, else the config's dataDir, else ./data; always absolute. */
export function resolveDataDir(o: { dataDir?: string }, config: GatewayConfig | undefined): string {
  return resolve(o.dataDir ?? config?.dataDir ?? GATEWAY_DEFAULTS.dataDir);
}
