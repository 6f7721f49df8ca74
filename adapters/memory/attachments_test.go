package memory_test

import (
	"context"
	"errors"
	"testing"

	"chat/adapters/memory"
	"chat/domain/attachment"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
	"chat/ports/porttest"
)

func TestAttachmentStoreContract(t *testing.T) {
	porttest.AttachmentStore(t, func(t *testing.T) porttest.AttachmentFixture {
		q := &memory.JobQueue{}
		st := memory.NewStores()
		name, _ := user.NewUsername("sharer")
		u, err := st.Users().Create(context.Background(), user.User{Username: name}, "hash")
		if err != nil {
			t.Fatal(err)
		}
		var rooms [2]room.ID
		for i := range rooms {
			r, err := st.Rooms().Create(context.Background(), room.Room{Name: "files", OwnerID: u.ID})
			if err != nil {
				t.Fatal(err)
			}
			rooms[i] = r.ID
		}
		return porttest.AttachmentFixture{
			Store: st.Attachments(q), Room: rooms[0], OtherRoom: rooms[1], User: u.ID,
			Jobs:  func(t *testing.T) []ports.Job { return q.Take() },
			Rooms: st.Rooms(),
		}
	})
}

// TestAttachmentCreateJobFails checks that a row whose job cannot be
// enqueued is not kept.
func TestAttachmentCreateJobFails(t *testing.T) {
	q := &memory.JobQueue{}
	s := memory.NewAttachments(q)
	q.Fail(errors.New("queue down"))
	_, err := s.Create(context.Background(), attachment.Attachment{RoomID: 1, UserID: 1, Filename: "x.png"}, &ports.Job{Kind: ports.JobThumbnail})
	if err == nil {
		t.Fatal("Create succeeded although the job could not be enqueued")
	}
	list, err := s.List(context.Background(), 1, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 0 {
		t.Errorf("rows after a failed Create: %v", list)
	}
}
