import type { Command } from 'commander';
import { withData, type DataOpts } from '../cli-options.ts';

interface PassphraseOpts {
  passphraseFile?: string;
  passphraseEnv: string;
}

const withPassphrase = (c: Command): Command =>
  c
    .option('--passphrase-file <file>', 'read the backup passphrase from this file (first line)')
    .option(
      '--passphrase-env <var>',
      'read the backup passphrase from this environment variable',
      'RW_BACKUP_PASSPHRASE',
    );

async function passphrase(o: PassphraseOpts): Promise<string> {
  if (o.passphraseFile) {
    const { readFileSync } = await import('node:fs');
    return readFileSync(o.passphraseFile, 'utf8').split(/\r?\n/)[0];
  }
  const v = process.env[o.passphraseEnv];
  if (!v)
    throw new Error(
      `no backup passphrase: set ${o.passphraseEnv} or give --passphrase-file (keep the passphrase away from the backups)`,
    );
  return v;
}

/** What a person reads of a backup: the counts that say it is the right one. */
const SHOWN = ['events', 'cases', 'responses', 'devices', 'credentials', 'evidence'];
const counts = (rows: Record<string, number>): string =>
  SHOWN.filter((t) => t in rows)
    .map((t) => `${rows[t]} ${t}`)
    .join(', ');

/** `gateway backup` and `gateway restore`: the whole gateway as one encrypted file, and back. */
export function registerBackupCli(gw: Command): void {
  withPassphrase(
    withData(
      gw
        .command('backup')
        .description(
          'write the databases (an online snapshot: the gateway may run), evidence, keys and gateway.yaml into one encrypted file',
        )
        .requiredOption(
          '--out <file>',
          'the backup file to write (e.g. /var/backups/roadwarden/gateway-$(date +%F).rwbak)',
        ),
    ),
  ).action(async (o: DataOpts & PassphraseOpts & { out: string }) => {
    const [{ loadGatewayConfig, resolveDataDir }, { loadStorageKey }, { writeBackup }, { PRODUCT_VERSION }] =
      await Promise.all([
        import('../config/load-config.ts'),
        import('../store/key-file.ts'),
        import('./gateway-backup.ts'),
        import('../../protocols/index.ts'),
      ]);
    const config = o.config ? loadGatewayConfig(o.config) : {};
    const dataDir = resolveDataDir(o, config);
    const { existsSync } = await import('node:fs');
    if (!existsSync(dataDir))
      throw new Error(`no gateway data in ${dataDir} (name the right one with --config or --data-dir)`);
    const pass = await passphrase(o);
    const m = await writeBackup(
      {
        dataDir,
        storageKey: loadStorageKey(config, dataDir),
        keyFile: config.evidence?.keyFile,
        configFile: o.config,
        storageUrl: config.storage?.url,
      },
      o.out,
      pass,
      PRODUCT_VERSION,
      process.stderr.isTTY
        ? (name, done, total) => process.stderr.write(`\r${done + 1}/${total} ${name.slice(0, 60).padEnd(60)}`)
        : undefined,
    );
    const bytes = m.entries.reduce((a, e) => a + e.bytes, 0);
    if (process.stderr.isTTY) process.stderr.write('\n');
    process.stdout.write(
      `backup: ${o.out} — ${m.entries.length} files, ${(bytes / 1e6).toFixed(1)} MB from ${dataDir}; schema ${m.schemaVersion}; ${counts(m.rows)}\n` +
        (m.database ? `the tables are in PostgreSQL (${m.database}): back them up with pg_dump as well\n` : ''),
    );
  });

  withPassphrase(
    withData(
      gw
        .command('restore <file>')
        .description(
          'put a backup back into an empty data dir (stop the gateway and move the old data dir aside first); checks every file before anything is placed',
        )
        .option('--config-out <file>', 'also write the gateway.yaml kept in the backup to this (new) file'),
    ),
  ).action(async (file: string, o: DataOpts & PassphraseOpts & { configOut?: string }) => {
    const [{ loadGatewayConfig, resolveDataDir }, { restoreBackup }] = await Promise.all([
      import('../config/load-config.ts'),
      import('./gateway-restore.ts'),
    ]);
    const config = o.config ? loadGatewayConfig(o.config) : {};
    const dataDir = resolveDataDir(o, config);
    const pass = await passphrase(o);
    const { manifest: m, header } = await restoreBackup(
      file,
      pass,
      { dataDir, keyFile: config.evidence?.keyFile, configOut: o.configOut },
      process.stderr.isTTY ? (name) => process.stderr.write(`\r${name.slice(0, 70).padEnd(70)}`) : undefined,
    );
    if (process.stderr.isTTY) process.stderr.write('\n');
    process.stdout.write(
      `restored into ${dataDir}: backup of ${m.created} by roadwarden ${header.gatewayVersion}; ${m.entries.length} files; schema ${m.schemaVersion}; ${counts(m.rows)}\n` +
        (m.database ? `the tables are in PostgreSQL (${m.database}): restore them from its pg_dump as well\n` : '') +
        `start roadwarden ${header.gatewayVersion} (or newer) on it\n`,
    );
  });
}
