// Package services gives tests real PostgreSQL and Redis: from
// CHAT_TEST_POSTGRES_URL / CHAT_TEST_REDIS_URL, else throwaway containers
// via testcontainers-go when a Docker engine answers, else the test is
// skipped with the reason — or fails when CHAT_TEST_REQUIRE_SERVICES=1.
//
// Each call to Postgres creates a fresh database, dropped when the test
// ends, so packages and tests can run in parallel. Redis tests isolate by
// key prefix (Prefix).
//
// It imports testcontainers-go and the drivers it needs to create
// databases, never the server's packages.
package services
