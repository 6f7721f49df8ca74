package wire

import (
	"chat/domain"
	"chat/domain/attachment"
	"chat/domain/message"
)

// DraftOf reads what a client sends with a message's text (POST
// /rooms/{id}/messages and the sockets' message frame): reply_to (0:
// none) and file_ids. The ids are checked as ids here — at most
// message.FilesMax files (Invalid "too_many_files"), every id positive —
// so a request naming thousands is refused before any use case runs;
// whether they exist is the application's question.
func DraftOf(content, clientID string, replyTo int64, fileIDs []int64) (message.Draft, error) {
	d := message.Draft{Content: content, ClientID: clientID, ReplyTo: message.ID(replyTo)}
	if replyTo < 0 {
		return d, domain.Errorf(domain.Invalid, "invalid_reply_to", "reply_to must be a message id")
	}
	if len(fileIDs) > message.FilesMax {
		return d, domain.Errorf(domain.Invalid, "too_many_files", "a message carries at most %d files", message.FilesMax)
	}
	if len(fileIDs) > 0 {
		d.Files = make([]attachment.ID, len(fileIDs))
		for i, id := range fileIDs {
			if id <= 0 {
				return d, domain.Errorf(domain.Invalid, "invalid_file_id", "file_ids must be file ids")
			}
			d.Files[i] = attachment.ID(id)
		}
	}
	return d, nil
}
