import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { EdgeAgent, type EdgeConfig } from '../../edge/index.ts';
import { Gateway, loadCountyMap, type DeviceMeta, type GatewayConfig, type MapArea } from '../../gateway/index.ts';
import { HardwareSimulator } from '../hw-sim.ts';
import { LinkRelay } from './link-relay.ts';
import { until } from './until.ts';

/** Where a box stands, and who paid for it. */
export interface BoxSpec extends DeviceMeta {
  lat: number;
  lon: number;
}

export interface CountyOptions {
  /** How many boxes (spread over the county outline), or exactly these. */
  boxes: number | BoxSpec[];
  /** The gateway's configuration (responses, tickets …); ports default to free ones. */
  gatewayConfig?: GatewayConfig;
  mqttPort?: number;
  httpPort?: number;
  /** Light and loudspeaker simulated on pty pairs (default), or no hardware (a big fleet: alarms and telemetry only). */
  hardware?: 'pty' | 'none';
  /** Seconds between each box's telemetry (default 60). */
  telemetryS?: number;
  /** The county outline boxes are spread over (GeoJSON; default: the example county). */
  map?: string;
  /** Kept after stop() when given; a fresh temporary one otherwise. */
  dataDir?: string;
  logger?: Logger;
}

/** One roadside box of the county: its place, its real edge agent, its simulated hardware and its link. */
export interface CountyBox {
  spec: BoxSpec;
  agent: EdgeAgent;
  hardware?: HardwareSimulator;
  link: LinkRelay;
}

export const EXAMPLE_MAP = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'county-map.geojson');

/** The rule every county box runs: a tricycle carrying passengers flashes the light and speaks, and is reported. */
const TRICYCLE_RULE: NonNullable<EdgeConfig['rules']>[number] = {
  name: 'tricycle_passengers',
  trigger: { event: 'tricycle_passengers' },
  light: { mode: 'flash', periodMs: 300, durationS: 30 },
  voice: { clip: 2, times: 1, text: '三轮车禁止载人' },
  cooldownS: 0,
  report: { kind: 'tricycle_passengers', severity: 'alarm' },
};

/**
 * A county to test against: a gateway plus N roadside boxes, each a real edge agent with its own
 * credential, its hardware simulated over ptys and its network behind a relay that can be cut.
 * Tests, the demo, the benches and `roadwarden sim county` build on it, and script what happens
 * at the roadside: a tricycle at box K, a lamp burning out at box J, a link cut.
 */
export class County {
  private constructor(
    readonly gateway: Gateway,
    readonly boxes: CountyBox[],
    private readonly dataDir: string,
    private readonly ownDir: boolean,
  ) {}

  static async start(o: CountyOptions): Promise<County> {
    const ownDir = !o.dataDir;
    const dir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'rw-county-'));
    const specs = typeof o.boxes === 'number' ? spreadOver(loadCountyMap(o.map ?? EXAMPLE_MAP), o.boxes) : o.boxes;
    const gateway = new Gateway({
      dataDir: join(dir, 'gateway'),
      mqttPort: o.mqttPort ?? 0,
      httpPort: o.httpPort ?? 0,
      logger: o.logger,
      config: o.gatewayConfig ?? {},
    });
    await gateway.start();
    const boxes: CountyBox[] = [];
    const county = new County(gateway, boxes, dir, ownDir);
    try {
      for (const spec of specs) boxes.push(await county.addBox(spec, o));
      await until(() => boxes.every((b) => b.agent.link.connected), 10_000 + specs.length * 50, 'every box online');
    } catch (e) {
      await county.stop();
      throw e;
    }
    return county;
  }

  private async addBox(spec: BoxSpec, o: CountyOptions): Promise<CountyBox> {
    const { access, devices } = this.gateway.services;
    const password = randomBytes(12).toString('base64url');
    await access.credentials.addDevice(spec.id, password);
    await devices.registry.upsert(spec);
    const link = new LinkRelay({ host: '127.0.0.1', port: this.gateway.mqttPort! });
    await link.start();
    let hardware: HardwareSimulator | undefined;
    let hw: EdgeConfig['hardware'] = {};
    if ((o.hardware ?? 'pty') === 'pty') {
      hardware = new HardwareSimulator({
        pty: true,
        ptyDir: join(this.dataDir, 'tty', spec.id),
        camera: false,
        sensor: false,
      });
      await hardware.start();
      hw = {
        light: { type: 'modbus', port: hardware.ttys.light!, channels: 4 },
        speaker: { type: 'mp3', port: hardware.ttys.speaker! },
      };
    }
    const agent = new EdgeAgent({
      logger: o.logger,
      config: {
        device: { id: spec.id, name: spec.name, location: { lat: spec.lat, lon: spec.lon } },
        gateway: { url: link.url, username: spec.id, password },
        hardware: hw,
        rules: [TRICYCLE_RULE],
        telemetry: { intervalS: o.telemetryS ?? 60 },
        dataDir: join(this.dataDir, 'edge', spec.id),
        // As commissioning gives every box: its outbox is encrypted under a key of its own.
        outbox: { key: randomBytes(32).toString('base64') },
      },
    });
    await agent.start();
    return { spec, agent, hardware, link };
  }

  /** A box by index or id. */
  box(k: number | string): CountyBox {
    const b = typeof k === 'number' ? this.boxes[k] : this.boxes.find((x) => x.spec.id === k);
    if (!b) throw new Error(`no box ${k} in this county (${this.boxes.length} boxes)`);
    return b;
  }

  /** A tricycle carrying passengers passes box K: its camera's recognition, as the vision unit reports it. */
  async tricycle(k: number | string, o: { riders?: number; plate?: string } = {}): Promise<void> {
    const fired = await this.box(k).agent.reportRecognition({
      kind: 'tricycle_passengers',
      data: { vehicle: 'tricycle', riders: o.riders ?? 3, ...(o.plate ? { plate: o.plate, plateScore: 0.95 } : {}) },
    });
    if (!fired.length) throw new Error(`box ${this.box(k).spec.id}: the tricycle rule did not fire`);
  }

  /**
   * A lamp of box K's light burns out: the controller reports an open circuit on that channel the
   * next time the box lights it (a tricycle passing, a command, a self-test).
   */
  async burnLamp(k: number | string, channel = 1): Promise<void> {
    const hw = this.box(k).hardware;
    if (!hw) throw new Error('this county has no simulated hardware (hardware: none)');
    await hw.control(`burn ${channel}`);
  }

  /**
   * Wait until every box whose link is up is connected and has sent everything in its outbox
   * (what a cut kept back included): the county has caught up with what happened.
   */
  async settled(timeoutMs = 30_000): Promise<void> {
    await until(
      () => this.boxes.every((b) => !b.link.isUp || (b.agent.link.connected && b.agent.outbox.stats().pending === 0)),
      timeoutMs,
      'every box connected with an empty outbox',
    );
  }

  /** Box K's network link goes down, or comes back. */
  cutLink(k: number | string): void {
    this.box(k).link.cut();
  }

  restoreLink(k: number | string): void {
    this.box(k).link.restore();
  }

  async stop(): Promise<void> {
    for (const b of this.boxes) await b.agent.stop();
    for (const b of this.boxes) await b.link.stop();
    await this.gateway.stop();
    for (const b of this.boxes) await b.hardware?.stop();
    if (this.ownDir) rmSync(this.dataDir, { recursive: true, force: true });
  }
}

type Ring = Array<[number, number]>;

const inside = (ring: Ring, lon: number, lat: number): boolean => {
  let hit = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > lat !== yj > lat && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) hit = !hit;
  }
  return hit;
};

const inArea = (a: MapArea, lon: number, lat: number) => a.polygons.some((p) => inside(p[0], lon, lat));

/**
 * N boxes spread over the townships of a county outline, in turn, each at a point inside its
 * township (and named for the village there, if the map has one). Deterministic: the same map and
 * N give the same county.
 */
export function spreadOver(map: MapArea[], n: number): BoxSpec[] {
  const townships = map.filter((a) => a.level === 'township');
  if (!townships.length) throw new Error('the county map has no township outlines to place boxes in');
  const villages = map.filter((a) => a.level === 'village');
  const seen = new Map<string, number>();
  return Array.from({ length: n }, (_, k) => {
    const t = townships[k % townships.length];
    const ring = t.polygons[0][0];
    const lons = ring.map((p) => p[0]);
    const lats = ring.map((p) => p[1]);
    const [x0, x1, y0, y1] = [Math.min(...lons), Math.max(...lons), Math.min(...lats), Math.max(...lats)];
    // Low-discrepancy points (golden-ratio steps) over the township's bounding box, the first inside.
    let i = seen.get(t.name) ?? 0;
    let lon = x0;
    let lat = y0;
    do {
      i++;
      lon = x0 + ((i * 0.6180339887) % 1) * (x1 - x0);
      lat = y0 + ((i * 0.7548776662) % 1) * (y1 - y0);
    } while (!inArea(t, lon, lat) && i < 10_000);
    seen.set(t.name, i);
    const village = villages.find((v) => inArea(v, lon, lat))?.name;
    const id = `lc-sim-${String(k + 1).padStart(4, '0')}`;
    return {
      id,
      lat: Math.round(lat * 1e6) / 1e6,
      lon: Math.round(lon * 1e6) / 1e6,
      township: t.name,
      ...(village ? { village } : {}),
      crossing: `${village ?? t.name}路口 ${k + 1}`,
      name: `${t.name} ${village ?? ''} ${k + 1}号`.replace(/\s+/g, ' '),
    };
  });
}
