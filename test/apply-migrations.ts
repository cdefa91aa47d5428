import { applyD1Migrations } from 'cloudflare:test';
import { env } from 'cloudflare:workers';

// Idempotent: storage is isolated per test file, so each file starts from a migrated, empty database.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
