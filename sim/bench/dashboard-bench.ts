import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import sharp from 'sharp';
import { Gateway } from '../../gateway/index.ts';
import { createIdGenerator, sha256Hex } from '../../protocols/index.ts';
import { summary, value, type BenchLine } from './report.ts';

export interface DashboardBenchOptions {
  alarms?: number;
  loads?: number;
  chromium?: string;
  onProgress?: (msg: string) => void;
}

const BENCH = 'dashboard';
const VILLAGES = ['李庄', '王屯', '孙庄', '赵楼', '张集', '刘堤口'];
const STATES = ['done', 'acknowledged', 'sent', 'waived'];

/**
 * 10,000 stored alarms (each with its case, three responses and an evidence manifest whose frame
 * is a real stored image), then the dashboard's first load in Debian's Chromium, timed from
 * navigation until the first page of alarm cards is on screen and the first photo decoded; and the
 * API page behind it.
 */
export async function runDashboardBench(o: DashboardBenchOptions = {}): Promise<BenchLine[]> {
  const total = o.alarms ?? 10_000;
  const loads = o.loads ?? 10;
  const dir = mkdtempSync(join(tmpdir(), 'rw-bench-dashboard-'));
  const gw = new Gateway({ dataDir: dir, mqttPort: 0, httpPort: 0 });
  await gw.start();
  const browser = await chromium.launch({ executablePath: o.chromium ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
  try {
    o.onProgress?.(`storing ${total} alarms`);
    const frame = await sharp({
      create: { width: 1280, height: 720, channels: 3, background: { r: 96, g: 100, b: 104 } },
    })
      .jpeg()
      .toBuffer();
    const sha = sha256Hex(frame);
    await seed(gw, total, sha);
    await gw.services.evidence.store.put('lc-bench-0', sha, frame);
    await gw.services.access.credentials.addOperator('bench-admin', 'bench-pass-1', 'admin');
    const base = `http://127.0.0.1:${gw.httpPort}`;
    const login = await fetch(`${base}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'bench-admin', password: 'bench-pass-1' }),
    });
    const cookie = login.headers.get('set-cookie')!.split(';')[0];

    o.onProgress?.('the alarm list API');
    const api: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      await (await fetch(`${base}/api/v1/alarms?limit=50`, { headers: { cookie } })).json();
      api.push(performance.now() - t0);
    }

    o.onProgress?.(`${loads} first loads in Chromium`);
    const [name, val] = cookie.split('=');
    const first: number[] = [];
    for (let i = 0; i <= loads; i++) {
      // A new context each time: no cache, as a duty officer opening the page in the morning.
      const ctx = await browser.newContext();
      await ctx.addCookies([{ name, value: val, url: base }]);
      const page = await ctx.newPage();
      const t0 = performance.now();
      await page.goto(base);
      await page.waitForFunction(() => {
        // Runs in the page (no DOM types here): 50 cards, and the first photo decoded (the rest load lazily as one scrolls).
        const doc = (
          globalThis as unknown as {
            document: {
              querySelectorAll(s: string): { length: number };
              images: ArrayLike<{ complete: boolean; naturalWidth: number }>;
            };
          }
        ).document;
        const img = doc.images[0];
        return doc.querySelectorAll('li.alarm').length === 50 && !!img && img.complete && img.naturalWidth > 0;
      });
      if (i > 0) first.push(performance.now() - t0); // the first load warms the server's statement cache
      await ctx.close();
    }
    const assetDir = join(gw.services.dashboard.dir!, 'assets');
    const assets = readdirSync(assetDir).filter((f) => !f.endsWith('.map'));
    const kb = assets.reduce((s, f) => s + statSync(join(assetDir, f)).size, 0) / 1024;
    return [
      summary(BENCH, 'first_load_ms', 'ms', first, {
        alarms_stored: total,
        rendered: 50,
        with: 'log-in cookie, no cache, first photo decoded',
        browser: 'Debian chromium (headless)',
      }),
      summary(BENCH, 'alarms_api_ms', 'ms', api, { alarms_stored: total, page: 50 }),
      value(BENCH, 'bundle_kb', 'KB', kb, { files: assets.length }),
    ];
  } finally {
    await browser.close();
    await gw.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Alarms across six villages' boxes over the last ~70 days, most cases closed, as a county's first months. */
async function seed(gw: Gateway, total: number, frameSha: string): Promise<void> {
  const newId = createIdGenerator();
  const now = Date.now();
  for (const [i, v] of VILLAGES.entries())
    await gw.services.devices.registry.upsert({
      id: `lc-bench-${i}`,
      township: i < 3 ? '梁水镇' : '斗虎屯镇',
      village: v,
      crossing: `${v}路口`,
    });
  await gw.context.sql.transaction(async (tx) => {
    for (let i = 0; i < total; i++) {
      const at = new Date(now - (total - i) * 600_000).toISOString();
      const device = `lc-bench-${i % VILLAGES.length}`;
      const [eventId, evidenceId, caseId] = [newId(), newId(), newId()];
      const plate = `鲁P${String(10000 + ((i * 7919) % 90000)).slice(-5)}`;
      const body = {
        v: 1,
        id: eventId,
        deviceId: device,
        ts: at,
        kind: 'tricycle_passengers',
        severity: 'alarm',
        source: 'vision',
        evidenceId,
        data: { vehicle: 'tricycle', riders: 2 + (i % 3), plate, plateScore: 0.9, plateColour: 'blue' },
      };
      const manifest = {
        evidenceId,
        capturedAt: at,
        images: [{ role: 'frame', sha256: frameSha, bytes: 1, mime: 'image/jpeg', width: 1280, height: 720 }],
        recognitions: [
          { what: 'vehicle', label: 'tricycle', score: 0.9, box: [440, 260, 400, 240] },
          { what: 'plate', label: 'blue', score: 0.9, box: [560, 430, 160, 50], value: plate },
        ],
      };
      await tx.run(
        "INSERT INTO events (id, device_id, kind, severity, source, ts, received_at, evidence_id, body) VALUES (?, ?, 'tricycle_passengers', 'alarm', 'vision', ?, ?, ?, ?)",
        [eventId, device, at, at, evidenceId, JSON.stringify(body)],
      );
      await tx.run('INSERT INTO evidence (id, device_id, event_id, ts, body) VALUES (?, ?, ?, ?, ?)', [
        evidenceId,
        device,
        eventId,
        at,
        JSON.stringify(manifest),
      ]);
      const closed = i < total - 30;
      await tx.run(
        "INSERT INTO cases (id, incident_key, event_id, device_id, kind, opened_at, closed_at, closed_by) VALUES (?, ?, ?, ?, 'tricycle_passengers', ?, ?, ?)",
        [caseId, `bench:${eventId}`, eventId, device, at, closed ? at : null, closed ? 'bench' : null],
      );
      for (const [k, kind] of ['onsite', 'village', 'police'].entries())
        await tx.run('INSERT INTO responses (id, case_id, kind, state, updated_at) VALUES (?, ?, ?, ?, ?)', [
          newId(),
          caseId,
          kind,
          closed ? 'done' : STATES[(i + k) % STATES.length],
          at,
        ]);
    }
  });
}
