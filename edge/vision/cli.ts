import type { Command } from 'commander';
import type { Logger } from 'pino';
import type { RecognizeOpts } from './recognize-command.ts';

export function registerRecognizeCli(program: Command, _logger: (cmd: Command) => Logger): void {
  program
    .command('models')
    .description('the built-in vision models (from npm packages)')
    .command('prepare')
    .description(
      'convert and cache the built-in detector and face descriptor now (otherwise done at their first load), and list every model file',
    )
    .action(async () => {
      (await import('./recognize-command.ts')).prepareModels();
    });

  program
    .command('recognize <path>')
    .description('run the recognition pipeline on an image or a folder of images; one result per image')
    .option(
      '--stage <stage>',
      'all: vehicles, riders, the rule, plate and driver face on offending vehicles; plate: plates anywhere in the image (photos, crops)',
      'all',
    )
    .option(
      '--models <models.yaml>',
      'model manifest with a vehicle/person detector (task: objects), e.g. a county-trained YOLOv8 tricycle model; default: the built-in COCO CenterNet',
    )
    .option(
      '--max-riders <class=n>',
      'people allowed on a vehicle class, driver included (repeatable; default tricycle=1)',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option('--plates-for-all', 'read the plates of all vehicles, not only of those breaking the rule')
    .option(
      '--tricycle-classes <list>',
      'detector classes to treat as tricycles, comma-separated (the built-in COCO model has none; e.g. motorcycle)',
    )
    .option(
      '--json',
      'one JSON object per line per image: {"file", "plates": [{text, valid, kind, rows, colour, score, box}]}',
    )
    .option('--annotate <dir>', 'write each image with its boxes and readings drawn into this folder')
    .option(
      '--score-names',
      'the file names are the true plates (鲁PA1234.jpg): print exact-match rate and character accuracy at the end',
    )
    .addHelpText(
      'after',
      '\nModels come from npm packages or the manifest; nothing is downloaded. The driver’s face is described (faceres, 1024 numbers) for matching by face; --json shows its length.',
    )
    .action(async (path: string, o: RecognizeOpts) => {
      await (await import('./recognize-command.ts')).recognize(path, o);
    });
}
