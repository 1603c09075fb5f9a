// The data layer of the BFF: connection (PGlite or PostgreSQL), migrations from prisma/migrations
// (Prisma's own format, applied without Prisma's native engine), the seed catalog.
export { Prisma, PrismaClient } from './generated/client.js';
export * from './generated/enums.js';
export type {
  Address,
  AdminUser,
  IdempotencyKey,
  Order,
  OrderEvent,
  OrderItem,
  ProcessedNotification,
  Product,
  ReconciliationDiff,
  ReconciliationRun,
  Refund,
  RefundRequest,
  Shipment,
  Sku,
  User,
} from './generated/client.js';
export {
  dbDriver,
  dbFromPglite,
  openDb,
  pingDb,
  redactDatabaseUrl,
  type Db,
  type DbDriver,
  type DbKind,
  type DbOptions,
} from './connection.js';
export { DbError, type DbErrorCode } from './errors.js';
export { catalogImagesDir, defaultPgliteDir, migrationsDir, schemaPath, workspaceRoot } from './paths.js';
export {
  assertMigrated,
  checkDatabaseDrift,
  checkSchemaDrift,
  createMigration,
  migrate,
  migrateDb,
  migrationStatus,
  type MigrationStatus,
} from './migrate.js';
export { seedCatalog } from './seed.js';
