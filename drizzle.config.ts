import { defineConfig } from 'drizzle-kit';

// drizzle-kit 0.31.x writes flat 0000_name.sql files, which both
// `wrangler d1 migrations apply` and the vitest plugin's readD1Migrations read.
export default defineConfig({
	schema: './src/db/schema.ts',
	out: './migrations',
	dialect: 'sqlite',
});
