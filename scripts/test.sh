#!/bin/sh
# npm test: typecheck and lint, the suite on SQLite, then the same suite on PostgreSQL when
# MASHANG_TEST_DATABASE_URL names a server (each app gets a database of its own there).
set -e
sh scripts/check.sh
npx vitest run "$@"
if [ -n "$MASHANG_TEST_DATABASE_URL" ]; then
  echo "The suite again on PostgreSQL ($MASHANG_TEST_DATABASE_URL)"
  MASHANG_TEST_ENGINE=postgres npx vitest run "$@"
else
  echo "PostgreSQL suite not run: MASHANG_TEST_DATABASE_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/test)"
fi
