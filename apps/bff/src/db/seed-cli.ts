// pnpm db:seed — upserts the demo catalog into DATABASE_URL (unset: the embedded PGlite).
// The database must be migrated first (`pnpm db:migrate`).
import './cli-v8.js';

import { dbOptionsFromEnv, exitWithError } from './cli-env.js';
import { openDb } from './connection.js';
import { assertMigrated } from './migrate.js';
import { seedCatalog } from './seed.js';

async function main(): Promise<void> {
  const db = await openDb(dbOptionsFromEnv());
  try {
    await assertMigrated(db);
    const { products, skus } = await seedCatalog(db.prisma);
    console.log(`Seeded the catalog: ${products} products, ${skus} SKUs.`);
  } finally {
    await db.close();
  }
}

main().catch((error: unknown) => exitWithError('db:seed', error));
