package e2e

import (
	"bytes"
	"fmt"
	"testing"
)

type inviteJSON struct {
	Code      string `json:"code"`
	RoomID    int64  `json:"room_id"`
	CreatedBy int64  `json:"created_by"`
	ExpiresAt string `json:"expires_at"`
}

// invites: a link lets someone join a private room; a revoked, unknown
// or foreign one lets nobody in, and says nothing more than "not valid".
func invites(t *testing.T, c cluster) {
	alice, bob, carol := newUser(t, c.A, "alice"), newUser(t, c.B, "bob"), newUser(t, c.B, "carol")
	priv := alice.createRoom("secret plans", true)

	// Outsiders cannot mint or list invites to a private room.
	if r := bob.call("POST", fmt.Sprintf("/rooms/%d/invites", priv.ID), nil); r.Status != 404 {
		t.Fatalf("outsider creates an invite: %d %s", r.Status, r.Body)
	}
	if r := alice.call("POST", fmt.Sprintf("/rooms/%d/invites", priv.ID), map[string]any{"expires_in": 5}); r.Status != 422 {
		t.Fatalf("expires_in 5 s: %d %s", r.Status, r.Body)
	}
	var inv, spare inviteJSON
	alice.must(201, "POST", fmt.Sprintf("/rooms/%d/invites", priv.ID), nil, &inv)
	alice.must(201, "POST", fmt.Sprintf("/rooms/%d/invites", priv.ID), map[string]any{"expires_in": 3600}, &spare)
	if inv.Code == "" || inv.RoomID != priv.ID || inv.CreatedBy != alice.ID {
		t.Fatalf("invite = %+v", inv)
	}

	sb := bob.stream("")
	sb.next("ready")
	var view struct {
		IsMember bool `json:"is_member"`
		Room     struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		} `json:"room"`
	}
	bob.must(200, "GET", "/invites/"+inv.Code, nil, &view)
	if view.Room.ID != priv.ID || view.Room.Name != "secret plans" || view.IsMember {
		t.Fatalf("view = %+v", view)
	}
	var joined listedRoom
	bob.must(200, "POST", "/invites/"+inv.Code+"/accept", nil, &joined)
	if joined.ID != priv.ID || !joined.IsMember {
		t.Fatalf("accept = %+v", joined)
	}
	if e := sb.next("room_added"); e.RoomID != priv.ID {
		t.Fatalf("room_added = %+v", e)
	}
	bob.must(200, "POST", "/invites/"+inv.Code+"/accept", nil, &joined) // idempotent
	var ms []event
	bob.must(200, "GET", fmt.Sprintf("/rooms/%d/messages", priv.ID), nil, &ms)

	// Only the creator or the owner revokes.
	if r := bob.call("DELETE", fmt.Sprintf("/rooms/%d/invites/%s", priv.ID, spare.Code), nil); r.Status != 403 {
		t.Fatalf("a member revokes another's invite: %d %s", r.Status, r.Body)
	}
	var list []inviteJSON
	bob.must(200, "GET", fmt.Sprintf("/rooms/%d/invites", priv.ID), nil, &list)
	if len(list) != 2 {
		t.Fatalf("live invites = %+v", list)
	}
	alice.must(204, "DELETE", fmt.Sprintf("/rooms/%d/invites/%s", priv.ID, spare.Code), nil, nil)
	revoked := carol.call("GET", "/invites/"+spare.Code, nil)
	unknown := carol.call("GET", "/invites/NOSUCHCODE0000000000000000", nil)
	if revoked.Status != 404 || unknown.Status != 404 || !bytes.Equal(revoked.Body, unknown.Body) {
		t.Fatalf("revoked invite %d %s; unknown %d %s", revoked.Status, revoked.Body, unknown.Status, unknown.Body)
	}
	if r := carol.call("POST", "/invites/"+spare.Code+"/accept", nil); r.Status != 404 {
		t.Fatalf("accept a revoked invite: %d %s", r.Status, r.Body)
	}
	if r := carol.call("GET", fmt.Sprintf("/rooms/%d/messages", priv.ID), nil); r.Status != 404 {
		t.Fatalf("carol reads the private room: %d", r.Status)
	}
	// A code from another room does not revoke through this one.
	other := alice.createRoom("other", false)
	if r := alice.call("DELETE", fmt.Sprintf("/rooms/%d/invites/%s", other.ID, inv.Code), nil); r.Status != 404 {
		t.Fatalf("revoke through another room: %d %s", r.Status, r.Body)
	}
}
