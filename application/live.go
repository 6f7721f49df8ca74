package application

import (
	"sync"

	"chat/domain/room"
	"chat/domain/user"
)

// liveMembers remembers which (room, user) pairs have a live socket on
// this instance. Such a socket was authorized when it opened (Connect),
// and a removal anywhere closes it (EventMemberRemoved → 4403 → Disconnect),
// so while it is open the membership query of each message and typing
// event can be skipped: that query was a database round trip before every
// message. Opening access (upgrade, Connect, history) always asks the store. A leave or removal handled
// here forgets the pair at once; one handled on another instance is
// forgotten when this instance closes the socket, milliseconds later.
type liveMembers struct {
	mu sync.Mutex
	n  map[liveKey]int // open sockets per pair
}

type liveKey struct {
	room room.ID
	user user.ID
}

func newLiveMembers() *liveMembers { return &liveMembers{n: make(map[liveKey]int)} }

func (l *liveMembers) add(r room.ID, u user.ID) {
	l.mu.Lock()
	l.n[liveKey{r, u}]++
	l.mu.Unlock()
}

func (l *liveMembers) remove(r room.ID, u user.ID) {
	l.mu.Lock()
	k := liveKey{r, u}
	if l.n[k] <= 1 {
		delete(l.n, k)
	} else {
		l.n[k]--
	}
	l.mu.Unlock()
}

// forget drops the pair whatever its count: the member left or was removed.
func (l *liveMembers) forget(r room.ID, u user.ID) {
	l.mu.Lock()
	delete(l.n, liveKey{r, u})
	l.mu.Unlock()
}

// forgetRoom drops every pair of a deleted room.
func (l *liveMembers) forgetRoom(r room.ID) {
	l.mu.Lock()
	for k := range l.n {
		if k.room == r {
			delete(l.n, k)
		}
	}
	l.mu.Unlock()
}

func (l *liveMembers) has(r room.ID, u user.ID) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n[liveKey{r, u}] > 0
}
