import { ACCESS_MIGRATIONS, ACCESS_PG_MIGRATIONS } from './access/migrations.ts';
import { ARCHIVE_MIGRATIONS, ARCHIVE_PG_MIGRATIONS } from './archive/migrations.ts';
import { DEVICES_MIGRATIONS, DEVICES_PG_MIGRATIONS } from './devices/migrations.ts';
import { EVIDENCE_MIGRATIONS, EVIDENCE_PG_MIGRATIONS } from './evidence/migrations.ts';
import { INTAKE_MIGRATIONS, INTAKE_PG_MIGRATIONS } from './intake/migrations.ts';
import { OTA_MIGRATIONS, OTA_PG_MIGRATIONS } from './ota/migrations.ts';
import { RESPONSES_MIGRATIONS, RESPONSES_PG_MIGRATIONS } from './responses/migrations.ts';
import type { Migration } from './store/migration.ts';
import type { ModuleSchema } from './store/postgres-sql.ts';
import { TICKETS_MIGRATIONS, TICKETS_PG_MIGRATIONS } from './tickets/migrations.ts';
import { WORKER_MIGRATIONS, WORKER_PG_MIGRATIONS } from './worker-migrations.ts';

/** Every module's schema, in module order (plain SQL text: cheap for the admin CLI to load). */
export const GATEWAY_MIGRATIONS: Migration[] = [
  ...ACCESS_MIGRATIONS,
  ...DEVICES_MIGRATIONS,
  ...INTAKE_MIGRATIONS,
  ...EVIDENCE_MIGRATIONS,
  ...RESPONSES_MIGRATIONS,
  ...ARCHIVE_MIGRATIONS,
  ...TICKETS_MIGRATIONS,
  ...WORKER_MIGRATIONS,
  ...OTA_MIGRATIONS,
];

/** The same on PostgreSQL, module by module (each versions its own tables there). */
export const GATEWAY_PG_SCHEMAS: ModuleSchema[] = [
  { module: 'access', migrations: ACCESS_PG_MIGRATIONS },
  { module: 'devices', migrations: DEVICES_PG_MIGRATIONS },
  { module: 'intake', migrations: INTAKE_PG_MIGRATIONS },
  { module: 'evidence', migrations: EVIDENCE_PG_MIGRATIONS },
  { module: 'responses', migrations: RESPONSES_PG_MIGRATIONS },
  { module: 'archive', migrations: ARCHIVE_PG_MIGRATIONS },
  { module: 'tickets', migrations: TICKETS_PG_MIGRATIONS },
  { module: 'workers', migrations: WORKER_PG_MIGRATIONS },
  { module: 'ota', migrations: OTA_PG_MIGRATIONS },
];
