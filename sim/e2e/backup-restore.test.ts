import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';
import { promisify } from 'node:util';
import sharp from 'sharp';
import tar from 'tar-stream';
import { afterAll, describe, expect, it } from 'vitest';
import { sealBackup } from '../../gateway/backup/backup-cipher.ts';
import { Gateway, SYSTEM } from '../../gateway/index.ts';
import { County } from '../testing/county.ts';
import { BIN } from '../testing/gateway-process.ts';
import { until } from '../testing/until.ts';

const run = promisify(execFile);
const PASS = 'county backup passphrase 2026';
const PLATE = '鲁PA3N82';

/** `roadwarden gateway …` as an administrator runs it, the passphrase in the environment. */
const cli = (args: string[], pass = PASS) =>
  run(process.execPath, [BIN, 'gateway', ...args], { env: { ...process.env, RW_BACKUP_PASSPHRASE: pass } });

describe('gateway backup and restore', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-backup-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('backs up a running gateway; wiped and restored, it has the same cases, evidence and credentials', async () => {
    const county = await County.start({ boxes: 1, hardware: 'none', dataDir: dir });
    const gwDir = join(dir, 'gateway');
    const file = join(dir, 'gateway.rwbak');
    let before: { alarms: unknown[]; image: Buffer; sha: string };
    try {
      const gw = county.gateway;
      const box = county.box(0);
      await gw.services.access.credentials.addOperator('county', 'county-screen-secret', 'gateway');
      await gw.services.access.credentials.addDevice('lc-spare-01', 'spare-box-secret');
      const photo = await sharp({
        create: { width: 160, height: 120, channels: 3, background: { r: 90, g: 20, b: 200 } },
      })
        .jpeg()
        .toBuffer();
      const sha = createHash('sha256').update(photo).digest('hex');
      const evidenceId = box.agent.reportEvidence({
        images: [{ role: 'frame', jpeg: photo, width: 160, height: 120 }],
      });
      await box.agent.reportRecognition({
        kind: 'tricycle_passengers',
        evidenceId,
        data: { vehicle: 'tricycle', riders: 3, plate: PLATE, plateScore: 0.95 },
      });
      await until(async () => (await gw.services.evidence.store.has(sha)) === true, 10_000, 'the photo stored');
      await until(
        async () => (await gw.services.alarms.query.list(SYSTEM, { limit: 10 })).length === 1,
        10_000,
        'the alarm',
      );
      // The responses go on (the dashboard channel, the box's on-site warning): compared once settled.
      // On-site is the box's answer to a command, which this box (no hardware) fails after it is sent.
      await until(
        async () => {
          const r = (await gw.services.alarms.query.list(SYSTEM, { limit: 10 }))[0].responses;
          return Object.values(r).every((state) => state !== 'pending') && r.onsite !== 'sent';
        },
        10_000,
        'the responses settled',
      );
      before = {
        alarms: await gw.services.alarms.query.list(SYSTEM, { limit: 10 }),
        image: (await gw.services.evidence.store.get(sha))!,
        sha,
      };
      // Online: the gateway goes on running while the backup is taken.
      const { stdout } = await cli(['backup', '--data-dir', gwDir, '--out', file]);
      expect(stdout).toMatch(/backup: .*gateway\.rwbak — \d+ files.*1 cases/);
    } finally {
      await county.stop();
    }
    const bytes = readFileSync(file);
    expect(bytes.includes(Buffer.from(PLATE))).toBe(false);
    expect(bytes.includes(before.image.subarray(200, 260))).toBe(false);

    rmSync(gwDir, { recursive: true, force: true });
    // A wrong passphrase or a damaged file places nothing.
    await expect(cli(['restore', file, '--data-dir', gwDir], 'not the passphrase at all')).rejects.toThrow(
      /wrong passphrase/,
    );
    const cut = join(dir, 'cut.rwbak');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 100));
    await expect(cli(['restore', cut, '--data-dir', gwDir])).rejects.toThrow(/cut off|damaged/);
    expect(existsSync(gwDir)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('.restore-'))).toEqual([]);

    const { stdout } = await cli(['restore', file, '--data-dir', gwDir]);
    expect(stdout).toMatch(/restored into .*1 cases/);
    // Into a data dir that holds something: refused.
    await expect(cli(['restore', file, '--data-dir', gwDir])).rejects.toThrow(/is not empty/);

    const gw = new Gateway({ dataDir: gwDir, mqttPort: 0, httpPort: 0, config: {} });
    await gw.start();
    try {
      expect(await gw.services.alarms.query.list(SYSTEM, { limit: 10 })).toEqual(before.alarms);
      expect((await gw.services.evidence.store.get(before.sha))?.equals(before.image)).toBe(true);
      const { credentials } = gw.services.access;
      expect(await credentials.verify('county', 'county-screen-secret')).toMatchObject({
        kind: 'operator',
        role: 'gateway',
      });
      expect(await credentials.verify('lc-spare-01', 'spare-box-secret')).toBeDefined();
      expect(await credentials.verify('lc-spare-01', 'a wrong password')).toBeUndefined();
    } finally {
      await gw.stop();
    }
  });

  it('refuses a crafted backup whose entries point outside the data dir, and writes nothing there', async () => {
    const file = join(dir, 'crafted.rwbak');
    const pack = tar.pack();
    const written = pipeline(pack, sealBackup(PASS, '0.2.0'), createWriteStream(file));
    pack.entry({ name: 'data/../../escaped.txt' }, 'owned');
    pack.finalize();
    await written;
    const target = join(dir, 'crafted-data');
    mkdirSync(target);
    await expect(cli(['restore', file, '--data-dir', target])).rejects.toThrow(/may not be restored/);
    expect(existsSync(join(dir, 'escaped.txt'))).toBe(false);
    expect(existsSync(join(tmpdir(), 'escaped.txt'))).toBe(false);
    expect(readdirSync(target)).toEqual([]);
  });

  it('says what is missing without a passphrase', async () => {
    await expect(
      run(process.execPath, [BIN, 'gateway', 'backup', '--data-dir', dir, '--out', join(dir, 'x.rwbak')], {
        env: { ...process.env, RW_BACKUP_PASSPHRASE: '' },
      }),
    ).rejects.toThrow(/no backup passphrase: set RW_BACKUP_PASSPHRASE or give --passphrase-file/);
  });
});
