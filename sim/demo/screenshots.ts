import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import type { Logger } from 'pino';
import { runDemo } from './demo.ts';

export interface ScreenshotOptions {
  out: string;
  chromium?: string;
  logger?: Logger;
  onProgress?: (msg: string) => void;
}

/**
 * The dashboard's main pages as PNGs for the docs, from a real run: the demo's county (its
 * alarm, closed case and evidence photo) in Debian's Chromium: log-in, the alarm list, the case
 * page, devices on the county map, reports, the archive, the alarm list in English, and the
 * alarm list and case on a phone.
 */
export async function takeScreenshots(o: ScreenshotOptions): Promise<string[]> {
  mkdirSync(o.out, { recursive: true });
  o.onProgress?.('playing the demo');
  const demo = await runDemo({ once: true, logger: o.logger, say: () => undefined });
  const browser = await chromium.launch({ executablePath: o.chromium ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
  const files: string[] = [];
  try {
    const page = await (
      await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'zh-CN' })
    ).newPage();
    const imagesLoaded = () =>
      page.waitForFunction(() =>
        [...(globalThis as unknown as { document: { images: Iterable<{ complete: boolean }> } }).document.images].every(
          (i) => i.complete,
        ),
      );
    const shotOf = (p: Page, fullPage: boolean) => async (name: string) => {
      const file = join(o.out, `${name}.png`);
      await p.screenshot({ path: file, fullPage });
      files.push(file);
      o.onProgress?.(file);
    };
    const shot = shotOf(page, true);
    await page.goto(`http://127.0.0.1:${demo.gateway.httpPort}/`);
    await page.fill('input[name=username]', demo.dashboard.user);
    await shot('login');
    await page.fill('input[name=password]', demo.dashboard.password);
    await page.click('button[type=submit]');
    await page.waitForSelector('li.alarm .photo img');
    await imagesLoaded();
    await shot('alarms');
    await page.click('li.alarm a[href^="#/cases/"]');
    await page.waitForSelector('[data-testid=case-state]');
    await imagesLoaded();
    await shot('case');
    await page.click('header nav a[href="#/devices"]');
    await page.waitForSelector('[data-testid=map] circle');
    await shot('devices');
    await page.click('header nav a[href="#/reports"]');
    await page.waitForSelector('[data-testid=weekly-chart] rect');
    await shot('reports');
    await page.click('header nav a[href="#/archive"]');
    await page.fill('[data-testid=archive-q]', '鲁PA3');
    await page.click('.archive form button[type=submit]');
    await page.waitForSelector('[data-testid=archive-results]');
    await shot('archive');
    await page.click('[data-testid=lang]');
    await page.click('header nav a[href="#/"]');
    await page.waitForSelector('li.alarm .photo img');
    await imagesLoaded();
    await shot('alarms-en');

    // A cadre's or officer's phone (390×844): the alarm list and the case.
    const phone = await (
      await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN', deviceScaleFactor: 2 })
    ).newPage();
    const phoneShot = shotOf(phone, false);
    await phone.goto(`http://127.0.0.1:${demo.gateway.httpPort}/`);
    await phone.fill('input[name=username]', demo.dashboard.user);
    await phone.fill('input[name=password]', demo.dashboard.password);
    await phone.click('button[type=submit]');
    await phone.waitForSelector('li.alarm .photo img');
    await phoneShot('phone-alarms');
    await phone.click('li.alarm a[href^="#/cases/"]');
    await phone.waitForSelector('[data-testid=case-state]');
    await phoneShot('phone-case');
  } finally {
    await browser.close();
    await demo.stop();
  }
  return files;
}
