package services_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"chat/test/services"
)

func TestPostgresGivesAFreshDatabase(t *testing.T) {
	u := services.Postgres(t)
	ctx := context.Background()
	c, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var n int
	if err := c.QueryRow(ctx, "select count(*) from information_schema.tables where table_schema='public'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("fresh database has %d tables", n)
	}
}
