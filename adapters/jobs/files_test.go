package jobs

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"chat/adapters/blob"
	"chat/adapters/images"
	"chat/adapters/images/imagestest"
	"chat/adapters/memory"
	"chat/application"
	"chat/domain/attachment"
	"chat/domain/message"
	"chat/domain/room"
	"chat/domain/user"
	"chat/ports"
	"chat/test/services"
)

type memberOfAll struct{}

func (memberOfAll) Authorize(context.Context, user.ID, room.ID) error { return nil }

// blobStores are the stores the workers run on: the disk, and an S3 bucket
// (MinIO when a Docker engine answers, else an S3 server in process).
var blobStores = []struct {
	name string
	open func(t *testing.T) ports.BlobStore
}{
	{"disk", func(t *testing.T) ports.BlobStore {
		d, err := blob.NewDisk(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return d
	}},
	{"s3", func(t *testing.T) ports.BlobStore {
		srv := services.S3(t)
		s, err := blob.NewS3(context.Background(), blob.S3Config{
			Endpoint: srv.Endpoint, Region: srv.Region, Bucket: srv.Bucket, PathStyle: true,
			AccessKey: srv.AccessKey, SecretKey: srv.SecretKey,
		})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}},
}

// TestJobsRunFilesEndToEnd runs the real application.Files, image processor
// and each blob store behind River on each database, wired the way chatd
// wires them: an insert-only queue for the stores and Files, a working
// queue calling Files.
func TestJobsRunFilesEndToEnd(t *testing.T) {
	for _, b := range backends() {
		for _, store := range blobStores {
			t.Run(b.name+"/"+store.name, func(t *testing.T) { runFilesEndToEnd(t, b, store.open(t)) })
		}
	}
}

func runFilesEndToEnd(t *testing.T, b backend, blobs ports.BlobStore) {
	ctx := context.Background()
	queue, _ := b.connect(t)
	inserts := queue(nil, testOptions)
	st := memory.NewStores()
	name, _ := user.NewUsername("bob")
	bob, err := st.Users().Create(ctx, user.User{Username: name, DisplayName: "bob"}, "hash")
	if err != nil {
		t.Fatal(err)
	}
	bus := memory.NewBus()
	t.Cleanup(func() { bus.Close() })
	published := make(chan ports.Event, 10)
	sub, err := bus.Subscribe(ctx, 1, func(e ports.Event) { published <- e })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sub.Close() })
	attachments := memory.NewAttachments(inserts)
	files := application.NewFiles(application.FilesDeps{
		Rooms: memberOfAll{}, Users: st.Users(), Cache: memory.NewCache(), Attachments: attachments,
		Blobs: blobs, Images: images.New(), Jobs: inserts, Bus: bus, DetectType: http.DetectContentType,
	})
	workers := queue(filesOnly{files}, testOptions)
	startQueue(t, workers)
	events, stop := workers.subscribe(river.EventKindJobCompleted, river.EventKindJobCancelled, river.EventKindJobFailed)
	defer stop()

	photo := imagestest.JPEGWithOrientation(t, 1200, 800, 6)
	good, err := files.Upload(ctx, bob.ID, 1, "photo.jpg", "image/jpeg", bytes.NewReader(photo), int64(len(photo)))
	if err != nil {
		t.Fatal(err)
	}
	if e := waitEvent(t, events); e.Kind != river.EventKindJobCompleted {
		t.Fatalf("thumbnail job: %s (%v)", e.Kind, e.Job.Errors)
	}
	<-published // file_shared
	var updated ports.Event
	select {
	case updated = <-published:
	case <-time.After(10 * time.Second):
		t.Fatal("no file_updated event")
	}
	if want := (ports.FileUpdated{FileID: good.ID, Thumbnail: attachment.ThumbnailReady}); updated.Payload != want {
		t.Errorf("event %+v, want file_updated of %d with its thumbnail ready", updated, good.ID)
	}
	d, err := files.Open(ctx, bob.ID, good.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	d.Content.Close()
	if d.ContentType != "image/webp" {
		t.Errorf("thumbnail type %q", d.ContentType)
	}

	// A PNG whose header is fine but whose pixels are missing passes
	// the upload's probe and fails in libvips: the job is cancelled
	// (not retried) and the file marked failed.
	broken := imagestest.BombPNG(64, 64)
	bad, err := files.Upload(ctx, bob.ID, 1, "broken.png", "", bytes.NewReader(broken), -1)
	if err != nil {
		t.Fatal(err)
	}
	if bad.ThumbnailStatus != attachment.ThumbnailPending {
		t.Fatalf("broken image stored as %q, want pending (the probe passes)", bad.ThumbnailStatus)
	}
	if e := waitEvent(t, events); e.Kind != river.EventKindJobCancelled || e.Job.Attempt != 1 {
		t.Errorf("broken image job: %s after %d attempts, want cancelled after 1", e.Kind, e.Job.Attempt)
	}
	if a, _ := attachments.ByID(ctx, bad.ID); a.ThumbnailStatus != attachment.ThumbnailFailed {
		t.Errorf("broken image status %q, want failed", a.ThumbnailStatus)
	}

	if err := files.UploadAvatar(ctx, bob.ID, bytes.NewReader(photo), -1); err != nil {
		t.Fatal(err)
	}
	if e := waitEvent(t, events); e.Kind != river.EventKindJobCompleted {
		t.Fatalf("avatar job: %s (%v)", e.Kind, e.Job.Errors)
	}
	if u, _ := st.Users().ByID(ctx, bob.ID); u.AvatarKey == "" {
		t.Error("no avatar after the avatar job")
	}
}

// filesOnly runs the file jobs of a real application.Files; these tests
// insert no message jobs.
type filesOnly struct{ *application.Files }

func (filesOnly) DeliverScheduled(context.Context, message.ScheduledID, time.Time) error {
	return errors.New("no message jobs here")
}

func (filesOnly) PurgeBlobs(context.Context, []string) error {
	return errors.New("no message jobs here")
}
