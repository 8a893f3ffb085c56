import type { Db } from '../../db/index.js';

/** An Open311 API key as the back office lists it (never the key itself). */
export interface ApiKeyRow {
  id: number;
  name: string;
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
  lastUsedAt: string | null;
  uses: number;
}

const COLUMNS = 'id, name, prefix, created_at AS createdAt, revoked_at AS revokedAt, last_used_at AS lastUsedAt, uses';

/** The api_keys table: keys are kept as their SHA-256 digests. */
export function createOpen311Repo(db: Db) {
  const s = {
    insert: db.prepare('INSERT INTO api_keys (name, key_hash, prefix, created_at, created_by) VALUES (?, ?, ?, ?, ?)'),
    list: db.prepare(`SELECT ${COLUMNS} FROM api_keys ORDER BY revoked_at IS NOT NULL, name`),
    byHash: db.prepare(`SELECT ${COLUMNS} FROM api_keys WHERE key_hash = ?`),
    byId: db.prepare(`SELECT ${COLUMNS} FROM api_keys WHERE id = ?`),
    byName: db.prepare(`SELECT ${COLUMNS} FROM api_keys WHERE name = ?`),
    revoke: db.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
    touch: db.prepare('UPDATE api_keys SET last_used_at = ?, uses = uses + 1 WHERE id = ?'),
  };
  return {
    insert: (k: { name: string; hash: string; prefix: string; now: string; createdBy: number | null }) =>
      Number(s.insert.run(k.name, k.hash, k.prefix, k.now, k.createdBy).lastInsertRowid),
    list: () => s.list.all() as ApiKeyRow[],
    byHash: (hash: string) => s.byHash.get(hash) as ApiKeyRow | undefined,
    byId: (id: number) => s.byId.get(id) as ApiKeyRow | undefined,
    byName: (name: string) => s.byName.get(name) as ApiKeyRow | undefined,
    /** false when the key was already revoked or does not exist */
    revoke: (id: number, now: string) => s.revoke.run(now, id).changes === 1,
    touch: (id: number, now: string) => void s.touch.run(now, id),
  };
}

export type Open311Repo = ReturnType<typeof createOpen311Repo>;
