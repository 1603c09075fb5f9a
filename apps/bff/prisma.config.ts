// Configuration for the Prisma CLI (`prisma generate`, and `prisma migrate deploy|status|diff` on a
// machine that reaches Prisma's binary host). The BFF itself never reads this file: it opens the
// database through driver adapters and applies migrations with src/db/migrate.ts.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: '../../prisma/schema.prisma',
  migrations: {
    path: '../../prisma/migrations',
    seed: 'tsx src/db/seed-cli.ts',
  },
  // Only migrate/introspect commands need it; `prisma generate` runs without DATABASE_URL.
  ...(process.env.DATABASE_URL ? { datasource: { url: process.env.DATABASE_URL } } : {}),
});
