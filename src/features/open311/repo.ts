import { sql } from 'kysely';
import type { Database } from '../../db/database.js';

/** An Open311 API key as the back office lists it (never the key itself). */
export interface ApiKeyRow {
  id: number;
  name: string;
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
  uses: number;
  /** the district whose villages the key files cases in */
  districtId: number | null;
}

const COLUMNS = sql`id, name, prefix, created_at AS "createdAt", revoked_at AS "revokedAt", last_used_at AS "lastUsedAt", uses, district_id AS "districtId"`;

/** The api_keys table: keys are kept as their SHA-256 digests. */
export function createOpen311Repo(db: Database) {
  return {
    insert: async (k: { name: string; hash: string; prefix: string; now: string; createdBy: number | null; districtId: number | null }) =>
      Number(
        (await db.get<{ id: number }>(
          sql`INSERT INTO api_keys (name, key_hash, prefix, created_at, created_by, district_id)
              VALUES (${k.name}, ${k.hash}, ${k.prefix}, ${k.now}, ${k.createdBy}, ${k.districtId}) RETURNING id`,
        ))!.id,
      ),
    // the live keys first (false before true on both engines), then by name
    list: async () => db.all<ApiKeyRow>(sql`SELECT ${COLUMNS} FROM api_keys ORDER BY revoked_at IS NOT NULL, name`),
    byHash: async (hash: string) => db.get<ApiKeyRow>(sql`SELECT ${COLUMNS} FROM api_keys WHERE key_hash = ${hash}`),
    byId: async (id: number) => db.get<ApiKeyRow>(sql`SELECT ${COLUMNS} FROM api_keys WHERE id = ${id}`),
    byName: async (name: string) => db.get<ApiKeyRow>(sql`SELECT ${COLUMNS} FROM api_keys WHERE name = ${name}`),
    /** false when the key was already revoked or does not exist */
    revoke: async (id: number, now: string) =>
      (await db.run(sql`UPDATE api_keys SET revoked_at = ${now} WHERE id = ${id} AND revoked_at IS NULL`)).changes === 1,
    touch: async (id: number, now: string) => void (await db.run(sql`UPDATE api_keys SET last_used_at = ${now}, uses = uses + 1 WHERE id = ${id}`)),
  };
}

export type Open311Repo = ReturnType<typeof createOpen311Repo>;
