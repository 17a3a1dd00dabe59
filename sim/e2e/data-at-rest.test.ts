import { createHash } from 'node:crypto';
import { cpSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { SYSTEM } from '../../gateway/index.ts';
import { County } from '../testing/county.ts';
import { until } from '../testing/until.ts';

const PLATE = '鲁PA3N82';
const OWNER = '王秀兰';
const PHONE = '13912345678';

/** Every file under a directory, with its path relative to it. */
function filesUnder(dir: string, at = ''): string[] {
  return readdirSync(join(dir, at), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(dir, join(at, e.name)) : [join(at, e.name)],
  );
}

/** The files of a copy of `dir` that hold any of the needles, each with what it holds. */
function leaks(dir: string, needles: Record<string, Buffer>): string[] {
  const copy = mkdtempSync(join(tmpdir(), 'rw-rest-copy-'));
  try {
    // The running agent's control socket holds nothing at rest (and cannot be copied).
    cpSync(dir, copy, { recursive: true, filter: (src) => !lstatSync(src).isSocket() });
    return filesUnder(copy).flatMap((f) => {
      const bytes = readFileSync(join(copy, f));
      return Object.entries(needles)
        .filter(([, n]) => bytes.includes(n))
        .map(([what]) => `${f}: ${what}`);
    });
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

/**
 * The README says personal data is encrypted at rest. An attacker with a copy of a data dir (a
 * stolen disk, a backup) greps it for a plate, an owner's name and phone, and an evidence photo:
 * on the box while it is offline, and at the gateway while an image waits in a session.
 */
describe('personal data at rest', () => {
  it('is in no file of the box’s or the gateway’s data dirs, and every file is the owner’s only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-rest-'));
    const county = await County.start({ boxes: 1, hardware: 'none', dataDir: dir });
    try {
      const gw = county.gateway;
      const box = county.box(0);
      const report = await gw.services.archive.archive.importCsv(
        `plate,class,owner_name,owner_phone,village\n${PLATE},tricycle,${OWNER},${PHONE},李庄\n`,
        true,
      );
      expect(report.committed).toBe(true);
      // A county screen with a persistent session, away: the image waits for it in broker.db.
      await gw.services.access.credentials.addOperator('county', 'county-secret', 'gateway');
      const opts = { clientId: 'county', username: 'county', password: 'county-secret', clean: false };
      const screen = await mqtt.connectAsync(`mqtt://127.0.0.1:${gw.mqttPort}`, opts);
      await screen.subscribeAsync('rw/v1/+/image/+', { qos: 1 });
      await screen.endAsync();

      const photo = await sharp(Buffer.from(Array.from({ length: 160 * 120 * 3 }, (_, i) => (i * 7919) % 251)), {
        raw: { width: 160, height: 120, channels: 3 },
      })
        .jpeg({ quality: 90 })
        .toBuffer();
      const needles = {
        plate: Buffer.from(PLATE),
        'plate (ASCII part)': Buffer.from(PLATE.slice(1)),
        owner: Buffer.from(OWNER),
        phone: Buffer.from(PHONE),
        'JPEG bytes': photo.subarray(photo.length / 2, photo.length / 2 + 48),
      };

      // Offline: the alarm and its photo wait in the box's outbox.
      county.cutLink(0);
      await until(() => !box.agent.link.connected, 5000, 'the box offline');
      const evidenceId = box.agent.reportEvidence({
        images: [{ role: 'frame', jpeg: photo, width: 160, height: 120 }],
      });
      await box.agent.reportRecognition({
        kind: 'tricycle_passengers',
        evidenceId,
        data: { vehicle: 'tricycle', riders: 3, plate: PLATE, plateScore: 0.95 },
      });
      expect(box.agent.outbox.stats().pending).toBeGreaterThanOrEqual(3);
      const edgeDir = join(dir, 'edge', box.spec.id);
      expect(leaks(edgeDir, needles)).toEqual([]);

      county.restoreLink(0);
      await county.settled();
      await until(
        async () => (await gw.services.evidence.store.has(evidenceIdImage(photo))) === true,
        10_000,
        'the photo stored',
      );
      // The data is there, and readable through the gateway.
      const alarms = await gw.services.alarms.query.list(SYSTEM, { limit: 10 });
      expect(alarms.map((a) => a.plate?.text)).toContain(PLATE);
      const gatewayDir = join(dir, 'gateway');
      expect(leaks(gatewayDir, needles)).toEqual([]);
      for (const d of [gatewayDir, edgeDir]) {
        expect(statSync(d).mode & 0o777, d).toBe(0o700);
        for (const f of filesUnder(d)) expect(statSync(join(d, f)).mode & 0o077, `${d}/${f}`).toBe(0);
      }
    } finally {
      await county.stop();
    }
    // And after a clean stop (checkpointed WAL, closed files).
    const needles = { plate: Buffer.from(PLATE), owner: Buffer.from(OWNER), phone: Buffer.from(PHONE) };
    expect(leaks(dir, needles)).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  });
});

function evidenceIdImage(jpeg: Buffer): string {
  return createHash('sha256').update(jpeg).digest('hex');
}
