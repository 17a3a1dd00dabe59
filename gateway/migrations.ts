import { ACCESS_MIGRATIONS } from './access/migrations.ts';
import { ARCHIVE_MIGRATIONS } from './archive/migrations.ts';
import { DEVICES_MIGRATIONS } from './devices/migrations.ts';
import { EVIDENCE_MIGRATIONS } from './evidence/migrations.ts';
import { INTAKE_MIGRATIONS } from './intake/migrations.ts';
import { RESPONSES_MIGRATIONS } from './responses/migrations.ts';
import type { Migration } from './store/migration.ts';
import { TICKETS_MIGRATIONS } from './tickets/migrations.ts';

/** Every module's schema, in module order (plain SQL text: cheap for the admin CLI to load). */
export const GATEWAY_MIGRATIONS: Migration[] = [
  ...ACCESS_MIGRATIONS,
  ...DEVICES_MIGRATIONS,
  ...INTAKE_MIGRATIONS,
  ...EVIDENCE_MIGRATIONS,
  ...RESPONSES_MIGRATIONS,
  ...ARCHIVE_MIGRATIONS,
  ...TICKETS_MIGRATIONS,
];
