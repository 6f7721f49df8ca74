package sqlstore_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"chat/domain"
	"chat/domain/attachment"
	"chat/domain/user"
)

// Deleting a room hands back the blob keys of its files and thumbnails, so
// the application can remove them from disk.
func TestRoomDeleteReturnsBlobKeys(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			a := openAttachmentDB(t, d.name, d.dsn(t))
			store := a.db.Attachments(a.queue)
			create := func(key string) attachment.Attachment {
				t.Helper()
				at, err := store.Create(ctx, attachment.Attachment{
					RoomID: a.room, UserID: a.user, Filename: key + ".png", ContentType: "image/png", Size: 1,
					BlobKey: key, ThumbnailStatus: attachment.ThumbnailNone, CreatedAt: time.Now(),
				}, nil)
				if err != nil {
					t.Fatal(err)
				}
				return at
			}
			withThumb := create("f/aa/one")
			if err := store.SetThumbnail(ctx, withThumb.ID, "t/aa/one.webp", attachment.ThumbnailReady); err != nil {
				t.Fatal(err)
			}
			create("f/bb/two")
			keys, err := a.db.Rooms().Delete(ctx, a.room)
			if err != nil {
				t.Fatalf("Delete: %v", err)
			}
			slices.Sort(keys)
			if want := []string{"f/aa/one", "f/bb/two", "t/aa/one.webp"}; !slices.Equal(keys, want) {
				t.Errorf("keys = %v, want %v", keys, want)
			}
			if _, err := store.ByID(ctx, withThumb.ID); domain.KindOf(err) != domain.NotFound {
				t.Errorf("attachment row survived its room: %v", err)
			}
		})
	}
}

// A user row deleted by hand (an operator's DELETE) takes its sessions
// with it, so its tokens stop authenticating at the next session check.
func TestUserRowDeletedEndsSessions(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := open(t, d.name, d.dsn(t))
			if err := db.Migrate(ctx, "up"); err != nil {
				t.Fatal(err)
			}
			name, _ := user.NewUsername("gone")
			u, err := db.Users().Create(ctx, user.User{Username: name, CreatedAt: time.Now()}, "x")
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now()
			if err := db.Sessions().Create(ctx, user.Session{ID: "S", UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
			sqlDB, err := db.SQLDB()
			if err != nil {
				t.Fatal(err)
			}
			q := "DELETE FROM users WHERE id = ?"
			if d.name == "postgres" {
				q = "DELETE FROM users WHERE id = $1"
			}
			if _, err := sqlDB.ExecContext(ctx, q, int64(u.ID)); err != nil {
				t.Fatalf("raw delete: %v", err)
			}
			if _, err := db.Sessions().ByID(ctx, "S"); domain.KindOf(err) != domain.NotFound {
				t.Fatalf("session of a deleted row: %v", err)
			}
		})
	}
}
