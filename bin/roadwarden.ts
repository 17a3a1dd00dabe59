#!/usr/bin/env node
import { Command } from 'commander';
import { PRODUCT_VERSION } from '../protocols/index.ts';
import { registerEdgeCli } from '../edge/cli.ts';
import { registerGatewayCli } from '../gateway/cli.ts';
import { registerHardwareCli } from '../hardware/cli.ts';
import { registerSimCli } from '../sim/cli.ts';
import { cliContext, untilSignal } from './cli-context.ts';

const program = new Command('roadwarden')
  .description('Roadside warning boxes and the county gateway (一抓拍三识别, 一报警三响应)')
  .version(PRODUCT_VERSION, '-V, --version', 'print the version')
  .option('--pretty', 'human-readable logs instead of JSON (logs go to stderr)')
  .option('--log-level <level>', 'trace, debug, info, warn, error', 'info')
  .option('--log-file <file>', 'write the log to this file instead of stderr')
  .option(
    '--verbose',
    'hw test, selftest, sim hw and commission: log on stderr instead of in their log file ($RW_LOG_DIR or ~/.local/state/roadwarden/<command>.log)',
  )
  .showHelpAfterError()
  // Options after a subcommand belong to it (`commission --api` and `commission upload --api`).
  .enablePositionalOptions();

registerHardwareCli(program, cliContext.logger);
registerSimCli(program, cliContext.logger);
registerEdgeCli(program, cliContext.logger, untilSignal);
registerGatewayCli(program, cliContext.logger, untilSignal);

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`roadwarden: ${err instanceof Error ? err.message : String(err)}`);
  // Devices opened before the error may hold the event loop open; an error ends the command.
  process.exit(1);
});
