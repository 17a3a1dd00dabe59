import type { Command } from 'commander';

/** `roadwarden pack models|config`: a bundle of a box's models or of the county's config template. */
export function registerPackCli(program: Command): void {
  const pack = program
    .command('pack')
    .description('pack vision models or a config template as an update bundle for the boxes (then gateway ota sign)');
  const common = (c: Command) =>
    c
      .requiredOption('--version <v>', 'the bundle’s version, e.g. 2026.12.1')
      .option('--out <dir>', 'where to write roadwarden-<kind>-<version>.tar.gz', '.');
  const report = (p: { file: string; bytes: number; sha256: string }) =>
    process.stdout.write(
      `${p.file}: ${p.bytes} bytes, sha256 ${p.sha256}\nnext: roadwarden gateway ota sign ${p.file} --key ota-update.key\n`,
    );

  common(
    pack
      .command('models <dir>')
      .description('a folder with models.yaml and the model files it names (relative paths, sha256 of each)'),
  ).action(async (dir: string, o: { version: string; out: string }) => {
    const { packPart } = await import('./part-pack.ts');
    report(await packPart('models', dir, o));
  });

  common(
    pack
      .command('config <template>')
      .description('a template.yaml: rules, schedules, quiet hours, telemetry, vision tuning shared by every box')
      .option(
        '--against <edge.yaml>',
        'also check it fits this box (its sensors, light and speaker); the secrets it names must be set',
      ),
  ).action(async (template: string, o: { version: string; out: string; against?: string }) => {
    const [{ packPart }, { loadEdgeConfig }] = await Promise.all([
      import('./part-pack.ts'),
      import('../config/load-config.ts'),
    ]);
    const box = o.against ? loadEdgeConfig(o.against) : undefined;
    report(await packPart('config', template, { ...o, box, boxFile: o.against }));
  });
}
