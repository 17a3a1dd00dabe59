import { Command } from 'commander';

const program = new Command('roadwarden')
  .description('Roadside warning boxes and the county gateway (一抓拍三识别, 一报警三响应)')
  .option('--pretty', 'human-readable logs instead of JSON')
  .option('--log-level <level>', 'trace, debug, info, warn, error', 'info')
  .showHelpAfterError();

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
