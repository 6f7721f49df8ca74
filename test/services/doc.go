// Package services gives tests real PostgreSQL and Redis: from
// CHAT_TEST_POSTGRES_URL / CHAT_TEST_REDIS_URL, else throwaway containers
// via testcontainers-go when a Docker engine answers, else the test is
// skipped with the reason — or fails when CHAT_TEST_REQUIRE_SERVICES=1.
//
// Each call to Postgres creates a fresh database, dropped when the test
// ends, so packages and tests can run in parallel. Redis tests isolate by
// key prefix (Prefix).
//
// S3 gives tests an S3-compatible store with a fresh bucket: MinIO in a
// container when a Docker engine answers, else an S3 server in the test
// process (gofakes3), so it never skips.
//
// It imports testcontainers-go, gofakes3 and the clients it needs to
// create databases and buckets, never the server's packages.
package services
