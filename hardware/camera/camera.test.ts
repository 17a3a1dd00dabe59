import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualCamera } from '../../sim/devices/virtual-camera.ts';
import { toRgb } from './camera.ts';
import { DirectoryCamera } from './directory-camera.ts';
import { HttpSnapshotCamera } from './http-snapshot-camera.ts';

describe('HttpSnapshotCamera against the virtual IP camera', () => {
  const cams: VirtualCamera[] = [];
  afterEach(async () => {
    for (const c of cams.splice(0)) await c.stop();
  });
  const start = async (opts = {}) => {
    const c = new VirtualCamera({ width: 640, height: 360, ...opts });
    await c.start();
    cams.push(c);
    return c;
  };

  it('grabs a JPEG frame with its size and time, and decodes it to RGB', async () => {
    const sim = await start();
    const cam = new HttpSnapshotCamera({ url: sim.url, now: () => new Date('2026-11-29T08:00:00Z') });
    const f = await cam.grab();
    expect(f.jpeg.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    expect([f.width, f.height]).toEqual([640, 360]);
    expect(f.at.toISOString()).toBe('2026-11-29T08:00:00.000Z');
    const rgb = await toRgb(f, { width: 320, height: 180 });
    expect(rgb.data.length).toBe(320 * 180 * 3);
    expect(cam.health.value.state).toBe('ok');
  });

  it('answers a Digest challenge, and reports refused credentials clearly', async () => {
    const sim = await start({ auth: { username: 'admin', password: 'Cam-2026' } });
    const good = new HttpSnapshotCamera({ url: sim.url, username: 'admin', password: 'Cam-2026' });
    expect((await good.grab()).width).toBe(640);
    const bad = new HttpSnapshotCamera({ url: sim.url, username: 'admin', password: 'wrong' });
    await expect(bad.grab()).rejects.toMatchObject({
      code: 'camera_failed',
      message: expect.stringMatching(/refused the credentials/),
    });
  });

  it('uses Basic auth where the camera asks for it', async () => {
    const sim = await start({ auth: { username: 'u', password: 'p', scheme: 'basic' } });
    expect((await new HttpSnapshotCamera({ url: sim.url, username: 'u', password: 'p' }).grab()).height).toBe(360);
  });

  it('reports a rebooting camera, a slow one, a truncated JPEG and an oversized one', async () => {
    const sim = await start();
    const cam = new HttpSnapshotCamera({ url: sim.url, timeoutMs: 300, maxBytes: 1_000_000 });
    sim.faults.dead = true;
    await expect(cam.grab()).rejects.toMatchObject({ code: 'camera_failed', message: expect.stringMatching(/503/) });
    expect(cam.health.value.state).toBe('offline');
    sim.faults.dead = false;
    sim.faults.delayMs = 600;
    await expect(cam.grab()).rejects.toMatchObject({ message: expect.stringMatching(/no answer within 300 ms/) });
    sim.faults.delayMs = 0;
    sim.faults.truncate = true;
    await expect(cam.grab()).rejects.toMatchObject({ code: 'bad_image' });
    expect(cam.health.value.state).toBe('degraded');
    sim.faults.truncate = false;
    const tiny = new HttpSnapshotCamera({ url: sim.url, maxBytes: 1000 });
    await expect(tiny.grab()).rejects.toMatchObject({ code: 'image_too_large' });
    expect((await cam.grab()).width).toBe(640);
    expect(cam.health.value.state).toBe('ok');
  });

  it('reports a camera that is not there', async () => {
    const sim = await start();
    const url = sim.url;
    await sim.stop();
    await expect(new HttpSnapshotCamera({ url, timeoutMs: 500 }).grab()).rejects.toMatchObject({
      code: 'camera_failed',
    });
  });
});

describe('DirectoryCamera', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const folder = () => {
    const d = mkdtempSync(join(tmpdir(), 'rw-cam-'));
    dirs.push(d);
    return d;
  };

  it('replays images in name order, converting PNG to JPEG, and loops', async () => {
    const d = folder();
    writeFileSync(
      join(d, 'b.png'),
      await sharp({ create: { width: 20, height: 10, channels: 3, background: 'red' } })
        .png()
        .toBuffer(),
    );
    writeFileSync(
      join(d, 'a.jpg'),
      await sharp({ create: { width: 30, height: 10, channels: 3, background: 'blue' } })
        .jpeg()
        .toBuffer(),
    );
    writeFileSync(join(d, 'notes.txt'), 'not an image');
    const cam = new DirectoryCamera({ dir: d, loop: true });
    await cam.start();
    const sizes = [];
    for (let i = 0; i < 3; i++) {
      const f = await cam.grab();
      expect(f.jpeg.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
      sizes.push(f.width);
    }
    expect(sizes).toEqual([30, 20, 30]);
  });

  it('names a missing or empty folder, and a corrupt image', async () => {
    await expect(new DirectoryCamera({ dir: '/nonexistent/rw' }).start()).rejects.toMatchObject({
      message: expect.stringMatching(/cannot read image folder/),
    });
    const empty = folder();
    await expect(new DirectoryCamera({ dir: empty }).start()).rejects.toMatchObject({
      message: expect.stringMatching(/no images/),
    });
    const d = folder();
    writeFileSync(join(d, 'x.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]));
    const cam = new DirectoryCamera({ dir: d });
    await expect(cam.grab()).rejects.toMatchObject({ code: 'bad_image' });
  });
});
