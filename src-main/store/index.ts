export { Store, openStore } from './store';
export { StoreError, databasePath, describeWriteError, DATABASE_FILE } from './database';
export { MIGRATIONS, SCHEMA_VERSION, migrate, schemaVersion } from './migrations';
export { InstanceLock, InstanceLockedError, acquireInstanceLock } from './instanceLock';
export type { ExperimentFilter, NewExperiment } from './experiments';
export type { RunFilter } from './runs';
