package application

import "context"

// deleteBlobs removes blobs nothing references any more. A failure leaves
// an orphan file on disk, never a row without its file; it is logged for
// the operator.
func (s *Rooms) deleteBlobs(ctx context.Context, keys ...string) {
	if s.d.Blobs == nil {
		return
	}
	for _, k := range keys {
		if err := s.d.Blobs.Delete(context.WithoutCancel(ctx), k); err != nil {
			s.d.Logger.WarnContext(ctx, "delete unreferenced blob", "key", k, "err", err)
		}
	}
}
