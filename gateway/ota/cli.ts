import type { Command } from 'commander';
import { withData, type DataOpts } from '../cli-options.ts';

/** `gateway ota keygen|sign|publish|rollout|status`: updates of the boxes' agent, models and config template. */
export function registerOtaCli(gw: Command): void {
  const ota = gw
    .command('ota')
    .description(
      'updates of the boxes’ agent, models and config template: an update key, signed bundles, staged rollouts (pause, resume, cancel) and their state',
    );

  ota
    .command('keygen')
    .description('make the county’s update key pair: the private key signs bundles, the public one goes on every box')
    .requiredOption('--out <dir>', 'where to write ota-update.key (mode 600) and ota-update.pub')
    .action(async (o: { out: string }) => {
      const { existsSync, mkdirSync, writeFileSync } = await import('node:fs');
      const { join } = await import('node:path');
      const { generateUpdateKeys } = await import('../../protocols/index.ts');
      const key = join(o.out, 'ota-update.key');
      if (existsSync(key)) throw new Error(`${key} exists: a new key would orphan every box holding the old one`);
      mkdirSync(o.out, { recursive: true });
      const k = generateUpdateKeys();
      writeFileSync(key, k.privateKeyPem, { mode: 0o600, flag: 'wx' });
      writeFileSync(join(o.out, 'ota-update.pub'), k.publicKeyPem);
      process.stdout.write(
        `${key}: keep it off the gateway if you can\n${join(o.out, 'ota-update.pub')}: ota.publicKey in gateway.yaml and on every box\n`,
      );
    });

  ota
    .command('sign <bundle>')
    .description(
      'sign a bundle: roadwarden-edge-<v>.tar.gz (npm run release), roadwarden-models-<v> or roadwarden-config-<v>.tar.gz (roadwarden pack)',
    )
    .requiredOption('--key <file>', 'the private update key (ota-update.key)')
    .option('--out <file>', 'the signature file (default: <bundle>.sig.json)')
    .action(async (bundle: string, o: { key: string; out?: string }) => {
      const { readFileSync, statSync, writeFileSync } = await import('node:fs');
      const { basename } = await import('node:path');
      const { bundleNameOf, sha256File, signManifest } = await import('../../protocols/index.ts');
      const named = bundleNameOf(basename(bundle));
      if (!named || !bundle.endsWith('.tar.gz'))
        throw new Error(`${bundle}: a bundle is named roadwarden-edge|models|config-<version>.tar.gz`);
      const manifest = {
        ...named,
        sha256: await sha256File(bundle),
        size: statSync(bundle).size,
      };
      const out = o.out ?? `${bundle}.sig.json`;
      writeFileSync(out, `${JSON.stringify(signManifest(manifest, readFileSync(o.key, 'utf8')), null, 2)}\n`);
      process.stdout.write(`${out}: ${manifest.name}, ${manifest.size} bytes, sha256 ${manifest.sha256}\n`);
    });

  withData(
    ota.command('publish <bundle>').description('publish a signed bundle at this gateway (checked with ota.publicKey)'),
  )
    .option('--signature <file>', 'its signature (default: <bundle>.sig.json)')
    .option('--by <name>', 'who publishes it (default: $USER)')
    .action(async (bundle: string, o: DataOpts & { signature?: string; by?: string }) => {
      const { readFileSync } = await import('node:fs');
      const { loadGatewayConfig } = await import('../config/load-config.ts');
      const { withAdminDb } = await import('../store/admin-db.ts');
      const { OtaStore } = await import('./ota-store.ts');
      const { publishBundle } = await import('./bundle-publisher.ts');
      const config = o.config ? loadGatewayConfig(o.config) : {};
      const publicKeyPem = config.ota ? readFileSync(config.ota.publicKey, 'utf8') : undefined;
      await withAdminDb(o, 'write', async (sql, dataDir) => {
        const r = await publishBundle(bundle, o.signature ?? `${bundle}.sig.json`, {
          dataDir,
          store: new OtaStore(sql),
          publicKeyPem,
          by: o.by ?? process.env.USER ?? 'cli',
          now: new Date(),
        });
        process.stdout.write(`${r.bundle.name}: ${r.outcome} (sha256 ${r.bundle.sha256})\n`);
      });
    });

  withData(
    ota
      .command('rollout')
      .description('roll a published bundle out: the canary share first, the rest once they are healthy'),
  )
    .requiredOption('--bundle <name|sha256>', 'a published bundle')
    .option('--devices <list>', 'these boxes (comma-separated; default every registered box)')
    .option('--canary <percent>', 'the canary share (default ota.canaryPercent, else 10)')
    .option('--by <name>', 'who starts it (default: $USER)')
    .action(async (o: DataOpts & { bundle: string; devices?: string; canary?: string; by?: string }) => {
      const { withAdminDb } = await import('../store/admin-db.ts');
      const { loadGatewayConfig } = await import('../config/load-config.ts');
      const [{ OtaStore }, { planRollout }, { DeviceStore }, { createIdGenerator }, { OTA_DEFAULTS }] =
        await Promise.all([
          import('./ota-store.ts'),
          import('./rollout-plan.ts'),
          import('../devices/device-store.ts'),
          import('../../protocols/index.ts'),
          import('./ota-config.ts'),
        ]);
      const config = o.config ? loadGatewayConfig(o.config) : {};
      const canary = o.canary === undefined ? undefined : Number(o.canary);
      if (canary !== undefined && !(Number.isInteger(canary) && canary >= 1 && canary <= 100))
        throw new Error(`--canary must be a whole percent from 1 to 100, not "${o.canary}"`);
      await withAdminDb(o, 'write', async (sql) => {
        const devices = o.devices?.split(',').filter(Boolean) ?? (await new DeviceStore(sql).list()).map((d) => d.id);
        const r = await planRollout(new OtaStore(sql), {
          id: createIdGenerator()(),
          at: new Date().toISOString(),
          bundle: o.bundle,
          devices,
          canaryPercent: canary,
          defaultPercent: config.ota?.canaryPercent ?? OTA_DEFAULTS.canaryPercent,
          by: o.by ?? process.env.USER ?? 'cli',
        });
        process.stdout.write(
          `rollout ${r.id}: ${devices.length} boxes, ${r.state} (a running gateway starts it within a second)\n`,
        );
      });
    });

  for (const [action, what] of [
    ['pause', 'pause a rollout: no more boxes get it (boxes that have it go on)'],
    ['resume', 'resume a paused rollout'],
    ['cancel', 'cancel a rollout: the boxes still waiting never get it'],
  ] as const)
    withData(ota.command(`${action} <rollout>`).description(what))
      .option('--by <name>', 'who (default: $USER)')
      .action(async (id: string, o: DataOpts & { by?: string }) => {
        const { withAdminDb } = await import('../store/admin-db.ts');
        const [{ OtaStore }, { controlRollout }] = await Promise.all([
          import('./ota-store.ts'),
          import('./rollout-control.ts'),
        ]);
        await withAdminDb(o, 'write', async (sql) => {
          const r = await controlRollout(new OtaStore(sql), id, action, {
            by: o.by ?? process.env.USER ?? 'cli',
            at: new Date().toISOString(),
          });
          process.stdout.write(`rollout ${r.id}: ${r.state}\n`);
        });
      });

  withData(ota.command('status [rollout]').description('rollouts, or one rollout with every box’s state'))
    .option('--json', 'as JSON')
    .action(async (id: string | undefined, o: DataOpts & { json?: boolean }) => {
      const { withAdminDb } = await import('../store/admin-db.ts');
      const { OtaStore } = await import('./ota-store.ts');
      await withAdminDb(o, 'read', async (sql) => {
        const store = new OtaStore(sql);
        if (!id) {
          const list = await store.rollouts();
          if (o.json) process.stdout.write(`${JSON.stringify(list)}\n`);
          else
            for (const r of list)
              process.stdout.write(`${r.id}\t${r.state}\t${r.createdAt}\t${r.haltedReason ?? ''}\n`);
          return;
        }
        const r = await store.rollout(id);
        if (!r) throw new Error(`no rollout ${id}`);
        const targets = await store.targets(id);
        if (o.json) return void process.stdout.write(`${JSON.stringify({ ...r, targets })}\n`);
        process.stdout.write(`rollout ${r.id}: ${r.state}${r.haltedReason ? ` — ${r.haltedReason}` : ''}\n`);
        for (const t of targets) process.stdout.write(`  ${t.deviceId}\t${t.stage}\t${t.state}\t${t.reason ?? ''}\n`);
      });
    });
}
