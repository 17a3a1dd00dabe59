import type { Command } from 'commander';
import type { DevicePlace } from '../../protocols/index.ts';
import { readPassword, withData, withPassword, type DataOpts, type PasswordOpts } from '../cli-options.ts';

type DeviceAddOpts = DataOpts & PasswordOpts & DevicePlace;

/** `gateway device add|list|remove`: boxes' MQTT credentials and their place. */
export function registerDeviceCli(gw: Command): void {
  const device = gw
    .command('device')
    .description("manage devices' MQTT credentials (username = client id = device id)");
  withPassword(
    withData(
      device
        .command('add')
        .description('add a device, or set a new password for it (a running gateway ends its old connection at once)'),
    ),
  )
    .requiredOption('--id <id>', 'device id, e.g. lc-dongchang-0001')
    .option('--name <name>', 'place name shown to people, e.g. "梁水镇 李庄路口"')
    .option('--road <road>', 'road file (一路一档)')
    .option('--crossing <crossing>', 'crossing or village entrance')
    .option('--township <township>', 'township (乡镇)')
    .option('--village <village>', 'village (村)')
    .option('--lat <lat>', 'latitude, WGS-84', Number)
    .option('--lon <lon>', 'longitude, WGS-84', Number)
    .action(async (o: DeviceAddOpts) => {
      const password = readPassword(o);
      const { withAdminDb } = await import('../store/admin-db.ts');
      const { CredentialStore } = await import('../access/credential-store.ts');
      const { DeviceStore } = await import('./device-store.ts');
      const { deviceAuthKey } = await import('../access/device-auth-key.ts');
      await withAdminDb(o, 'write', async (sql, dataDir) => {
        await new CredentialStore(sql, deviceAuthKey(dataDir)).addDevice(o.id, password);
        await new DeviceStore(sql).upsert({
          id: o.id,
          name: o.name,
          road: o.road,
          crossing: o.crossing,
          township: o.township,
          village: o.village,
          lat: o.lat,
          lon: o.lon,
        });
      });
      process.stdout.write(`device ${o.id} added\n`);
    });
  withData(device.command('list').description('list devices and operators'))
    .option('--json', 'one JSON object per line')
    .action(async (o: DataOpts & { json?: boolean }) => {
      const { withAdminDb } = await import('../store/admin-db.ts');
      const { CredentialStore } = await import('../access/credential-store.ts');
      const { DeviceStore } = await import('./device-store.ts');
      await withAdminDb(o, 'read', async (sql) => {
        const places = new Map((await new DeviceStore(sql).list()).map((d) => [d.id, d]));
        for (const r of await new CredentialStore(sql).list()) {
          const d = places.get(r.username);
          const row = {
            ...r,
            ...(d ? { name: d.name, village: d.village, state: d.state, lastSeen: d.lastSeen } : {}),
          };
          process.stdout.write(
            o.json
              ? `${JSON.stringify(row)}\n`
              : `${r.username}\t${r.kind}\t${r.role}\t${d?.name ?? ''}\t${d?.state ?? ''}\n`,
          );
        }
      });
    });
  withData(
    device
      .command('remove')
      .description(
        'remove a device: it can no longer connect, and a running gateway ends its connection within a second',
      ),
  )
    .requiredOption('--id <id>', 'device id')
    .action(async (o: DataOpts & { id: string }) => {
      const { withAdminDb } = await import('../store/admin-db.ts');
      const { CredentialStore } = await import('../access/credential-store.ts');
      const removed = await withAdminDb(o, 'read', async (sql) => {
        const creds = new CredentialStore(sql);
        return (await creds.get(o.id))?.kind === 'device' && (await creds.remove(o.id));
      });
      if (!removed) throw new Error(`no device ${o.id}`);
      process.stdout.write(`device ${o.id} removed\n`);
    });
}
