package application

import "context"

// deleteBlobs removes blobs nothing references any more (a deleted room's
// files, an erased account's avatar), even after the caller's request has
// ended. A failure, or no blob store, leaves an orphan file on disk, never a
// row without its file; it is logged for the operator.
func (s *Rooms) deleteBlobs(ctx context.Context, keys ...string) {
	ctx = context.WithoutCancel(ctx)
	for _, k := range keys {
		if s.d.Blobs == nil {
			s.d.Logger.WarnContext(ctx, "unreferenced blob left", "key", k)
			continue
		}
		if err := s.d.Blobs.Delete(ctx, k); err != nil {
			s.d.Logger.WarnContext(ctx, "delete unreferenced blob", "key", k, "err", err)
		}
	}
}
