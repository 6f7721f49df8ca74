package sqlstore_test

import (
	"context"
	"testing"

	"chat/ports/porttest"
)

func TestPush(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			porttest.Push(t, func(t *testing.T) porttest.PushSet {
				db := open(t, d.name, d.dsn(t))
				if err := db.Migrate(context.Background(), "up"); err != nil {
					t.Fatalf("Migrate up: %v", err)
				}
				jobs := newJobTable(t, db)
				return porttest.PushSet{
					StoreSet: porttest.StoreSet{
						Users: db.Users(), Accounts: db.Users(), Rooms: db.Rooms(), Members: db.Members(), Messages: db.MessagesWithJobs(jobs),
						Sessions: db.Sessions(), Reads: db.Reads(), Invites: db.Invites(), Files: db.Attachments(jobs), Scheduled: db.Scheduled(jobs),
						Jobs: jobs.take,
					},
					Push: db.Push(), Mutes: db.Mutes(),
				}
			})
		})
	}
}
