import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { createIdGenerator, topics } from '../../protocols/index.ts';
import { tricycleAlarm } from '../testing/alarm.ts';
import { freePorts } from '../testing/free-ports.ts';
import { addDevices, BIN, type GatewayProcess, spawnGateway } from '../testing/gateway-process.ts';
import { runCli } from '../testing/run-cli.ts';
import { stopProcess } from '../testing/process-start.ts';
import { until } from '../testing/until.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const newId = createIdGenerator();
/**
 * The last version before the face index's migration (archive schema 22): 0.1.0, which also had no
 * backup command. Its database is older than this one's, so starting this version on it migrates.
 */
const OLD = 'e7e25b4^';
const BOX = 'lc-upgrade-0001';
const BOX_PASSWORD = 'upgrade-box-secret';
const PASSPHRASE = 'the county upgrade passphrase';

function oldCommit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--verify', '--quiet', `${OLD}^{commit}`], {
      cwd: ROOT,
      encoding: 'utf8',
    }).trim();
  } catch {
    return undefined;
  }
}
const commit = oldCommit();

describe.skipIf(!commit)(
  `an upgrade from the version before the face index, and a rollback to it (skips without git history: ${OLD} not found)`,
  { timeout: 300_000 },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'rw-upgrade-'));
    const running: GatewayProcess[] = [];
    afterAll(async () => {
      for (const g of running) await stopProcess(g.proc, 5000);
      rmSync(dir, { recursive: true, force: true });
    });

    it('old → new (migrated after an automatic copy, alarms kept) → the old refuses the new database → restored backup → old again', async () => {
      // The old version from git, run from its sources with this checkout's packages (its own were the same but two).
      const old = join(dir, 'old');
      mkdirSync(old);
      await run('bash', ['-c', `git -C "${ROOT}" archive ${commit} | tar -x -C "${old}"`]);
      symlinkSync(join(ROOT, 'node_modules'), join(old, 'node_modules'));
      const OLD_BIN = join(old, 'bin', 'roadwarden.js');
      expect((await runCli(['--version'], { bin: OLD_BIN })).stdout.trim()).toBe('0.1.0');

      const [mqttPort, httpPort] = await freePorts(2);
      const data = join(dir, 'data');
      const args = ['--mqtt-port', String(mqttPort), '--http-port', String(httpPort), '--data-dir', data];
      const start = async (bin: string) => {
        const g = await spawnGateway(args, bin);
        running.push(g);
        return g;
      };
      const stop = async (g: GatewayProcess) => {
        expect(await stopProcess(g.proc)).toBe(0);
        running.splice(running.indexOf(g), 1);
      };
      await addDevices(data, [{ id: BOX, password: BOX_PASSWORD }], OLD_BIN);
      const token = (
        await runCli(['gateway', 'token', 'add', '--name', 'upgrader', '--role', 'admin', '--data-dir', data], {
          bin: OLD_BIN,
        })
      ).stdout
        .trim()
        .split(/\s+/)
        .at(-1)!;
      /** The alarms the running gateway holds (the old version, with no response plan, opened no case). */
      const alarms = async (): Promise<string[]> => {
        const r = await fetch(`http://127.0.0.1:${httpPort}/api/v1/alarms`, {
          headers: { authorization: `Bearer ${token}` },
        });
        expect(r.status).toBe(200);
        return ((await r.json()) as { items: Array<{ id: string }> }).items.map((a) => a.id).sort();
      };
      /** The box's alarm, sent by a client nobody here wrote. */
      const alarm = async (): Promise<string> => {
        const ev = tricycleAlarm(newId, BOX);
        await run('mosquitto_pub', [
          ...['-h', '127.0.0.1', '-p', String(mqttPort), '-V', 'mqttv311', '-q', '1'],
          ...['-i', BOX, '-u', BOX, '-P', BOX_PASSWORD, '-t', topics.event(BOX, ev.kind), '-m', JSON.stringify(ev)],
        ]);
        return ev.id;
      };

      // 1. The old version runs a county: one alarm.
      let gw = await start(OLD_BIN);
      const first = await alarm();
      await until(async () => (await alarms()).includes(first), 20_000, 'the old version’s alarm');
      await stop(gw);

      // 2. Before the upgrade, a backup (this version's command: the old one had none). It reads
      //    the old database without changing it: the old version still starts on it afterwards.
      const backup = join(dir, 'before-upgrade.rwbak');
      const b = await runCli(['gateway', 'backup', '--data-dir', data, '--out', backup], {
        env: { RW_BACKUP_PASSPHRASE: PASSPHRASE },
      });
      expect(b.code, b.stderr).toBe(0);
      gw = await start(OLD_BIN);
      // (and serves it: 0.1.0 also catches SIGTERM only after its ready line, so no stop right after it)
      expect(await alarms()).toEqual([first]);
      await stop(gw);

      // 3. The new version: it copies the database aside, migrates it, keeps the alarm, takes new ones.
      gw = await start(BIN);
      const copies = readdirSync(join(data, 'backups'));
      expect(copies.some((f) => /^gateway\.db\.v\d+-/.test(f))).toBe(true);
      expect(await alarms()).toEqual([first]);
      const second = await alarm();
      await until(async () => (await alarms()).length === 2, 20_000, 'the new version’s alarm');
      expect(await alarms()).toEqual([first, second].sort());
      await stop(gw);

      // 4. Rolling back the code alone: the old version refuses the newer database and says why.
      const refused = await new Promise<{ code: number | null; err: string }>((resolve) => {
        const p = spawn(process.execPath, [OLD_BIN, 'gateway', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        p.stderr!.on('data', (d: Buffer) => (err += d));
        p.once('exit', (code) => resolve({ code, err }));
      });
      expect(refused.code).not.toBe(0);
      expect(refused.err).toMatch(/newer than this gateway knows/);

      // 5. The rollback: the upgraded data dir moved aside, the backup restored, the old version on it.
      renameSync(data, join(dir, 'data-upgraded'));
      const r = await runCli(['gateway', 'restore', backup, '--data-dir', data], {
        env: { RW_BACKUP_PASSPHRASE: PASSPHRASE },
      });
      expect(r.code, r.stderr).toBe(0);
      expect(existsSync(join(data, 'gateway.db'))).toBe(true);
      gw = await start(OLD_BIN);
      expect(await alarms()).toEqual([first]);
      const third = await alarm();
      await until(async () => (await alarms()).length === 2, 20_000, 'the old version’s alarm after the rollback');
      expect(await alarms()).toEqual([first, third].sort());
      await stop(gw);
    });
  },
);
