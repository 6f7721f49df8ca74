package memory_test

import (
	"testing"

	"chat/adapters/memory"
	"chat/ports"
	"chat/ports/porttest"
)

func TestStores(t *testing.T) {
	porttest.Stores(t, func(t *testing.T) porttest.StoreSet {
		db := memory.NewStores()
		q := &memory.JobQueue{}
		return porttest.StoreSet{
			Users: db.Users(), Accounts: db.Users(), Roles: db.Users(), Rooms: db.Rooms(), Members: db.Members(), Messages: db.Messages(),
			Sessions: db.Sessions(), Reads: db.Reads(), Invites: db.Invites(), Files: db.Attachments(q), Scheduled: db.Scheduled(q),
			Jobs: func(*testing.T) []ports.Job { return q.Take() },
		}
	})
}

func TestSearch(t *testing.T) {
	porttest.Search(t, func(t *testing.T) porttest.SearchSet {
		db := memory.NewStores()
		q := &memory.JobQueue{}
		return porttest.SearchSet{
			StoreSet: porttest.StoreSet{
				Users: db.Users(), Accounts: db.Users(), Roles: db.Users(), Rooms: db.Rooms(), Members: db.Members(), Messages: db.Messages(),
				Sessions: db.Sessions(), Reads: db.Reads(), Invites: db.Invites(), Files: db.Attachments(q), Scheduled: db.Scheduled(q),
				Jobs: func(*testing.T) []ports.Job { return q.Take() },
			},
			Search: db.Search(),
		}
	})
}

func TestPush(t *testing.T) {
	porttest.Push(t, func(t *testing.T) porttest.PushSet {
		db := memory.NewStores()
		q := &memory.JobQueue{}
		return porttest.PushSet{
			StoreSet: porttest.StoreSet{
				Users: db.Users(), Accounts: db.Users(), Rooms: db.Rooms(), Members: db.Members(), Messages: db.Messages(),
				Sessions: db.Sessions(), Reads: db.Reads(), Invites: db.Invites(), Files: db.Attachments(q), Scheduled: db.Scheduled(q),
				Jobs: func(*testing.T) []ports.Job { return q.Take() },
			},
			Push: db.Push(), Mutes: db.Mutes(),
		}
	})
}
