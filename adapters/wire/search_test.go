package wire

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"chat/domain/message"
)

func TestSearchResultShape(t *testing.T) {
	hit := func(id message.ID) message.Hit {
		return message.Hit{
			Message: message.Message{ID: id, RoomID: 3, Seq: int64(id) + 1, UserID: 2, Username: "алиса", Content: "Сообщения <о> релизе",
				CreatedAt: restTime, EditedAt: restTime.Add(time.Minute)},
			Snippet: []message.Fragment{{Text: "Сообщен", Match: true}, {Text: "ия <о> релизе"}},
		}
	}
	wantHit := func(id float64) map[string]any {
		return map[string]any{
			"message": map[string]any{"id": id, "room_id": float64(3), "seq": id + 1, "user_id": float64(2), "username": "алиса",
				"content": "Сообщения <о> релизе", "created_at": "2026-01-02T03:04:05.000000Z", "edited_at": "2026-01-02T03:05:05.000000Z"},
			"snippet": []any{map[string]any{"text": "Сообщен", "match": true}, map[string]any{"text": "ия <о> релизе", "match": false}},
		}
	}
	for _, tc := range []struct {
		name  string
		hits  []message.Hit
		limit int
		want  map[string]any
	}{
		{"none", nil, 20, map[string]any{"hits": []any{}}},
		{"a short page has no cursor", []message.Hit{hit(9), hit(7)}, 3, map[string]any{"hits": []any{wantHit(9), wantHit(7)}}},
		{"a full page ends at its last hit", []message.Hit{hit(9), hit(7)}, 2,
			map[string]any{"hits": []any{wantHit(9), wantHit(7)}, "next_before": float64(7)}},
	} {
		if d := cmp.Diff(tc.want, jsonMap(t, SearchResultOf(tc.hits, tc.limit, nil, 2))); d != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, d)
		}
	}
}

// A hit's message is the very JSON a history page holds for it.
func TestSearchHitMessageIsHistorys(t *testing.T) {
	m := message.Message{ID: 5, RoomID: 3, Seq: 4, UserID: 2, Username: "bob", Content: "kubectl-apply \u2028 & done",
		CreatedAt: restTime, EditedAt: restTime.Add(time.Second)}
	got, err := json.Marshal(SearchResultOf([]message.Hit{{Message: m}}, 20, nil, 2).Hits[0].Message)
	if err != nil {
		t.Fatal(err)
	}
	if want := appendMessage(nil, m, nil, 2); string(got) != string(want) {
		t.Errorf("hit message %s\nhistory's   %s", got, want)
	}
}
