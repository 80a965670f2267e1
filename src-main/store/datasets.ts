/** Datasets known to the workbench (the packed cache is the source of truth; this is its index). */
import type { DatasetRecord } from '../contract/records';
import type { SqliteDatabase } from './sqlite';

export class DatasetRepository {
  constructor(private readonly db: SqliteDatabase) {}

  upsert(d: Omit<DatasetRecord, 'updatedAt'>, now = Date.now()): void {
    this.db
      .prepare(
        `INSERT INTO datasets (name, kind, classes, images, width, height, channels, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(name) DO UPDATE SET kind = excluded.kind, classes = excluded.classes,
           images = excluded.images, width = excluded.width, height = excluded.height,
           channels = excluded.channels, updated_at = excluded.updated_at`,
      )
      .run(d.name, d.kind, d.classes, d.images, d.width, d.height, d.channels, now);
  }

  list(): DatasetRecord[] {
    return (
      this.db.prepare('SELECT * FROM datasets ORDER BY name').all() as Array<{
        name: string;
        kind: string;
        classes: number;
        images: number;
        width: number;
        height: number;
        channels: number;
        updated_at: number;
      }>
    ).map((r) => ({
      name: r.name,
      kind: r.kind,
      classes: r.classes,
      images: r.images,
      width: r.width,
      height: r.height,
      channels: r.channels,
      updatedAt: r.updated_at,
    }));
  }
}
