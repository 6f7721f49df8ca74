package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// storedMessage is what a fill reads of a POST /rooms/{id}/messages answer.
type storedMessage struct {
	ID  int64 `json:"id"`
	Seq int64 `json:"seq"`
}

// postMessage sends one message over REST; the answer is decoded into out
// when out is not nil (and only then: decoding costs the load generator).
func (a *api) postMessage(ctx context.Context, token string, room int64, content, clientID string, out *storedMessage) error {
	body := map[string]string{"content": content, "client_id": clientID}
	path := "/rooms/" + strconv.FormatInt(room, 10) + "/messages"
	if out == nil {
		return a.call(ctx, http.MethodPost, path, token, body, nil, http.StatusCreated)
	}
	return a.call(ctx, http.MethodPost, path, token, body, out, http.StatusCreated)
}

// fillSend is message k of a fill: who sends what where. The client_id
// makes a retried send return the stored copy, never a duplicate.
type fillSend struct {
	token, content, clientID string
	room                     int64
	// decode: the answer is read and handed to the filler's stored.
	decode bool
}

// filler sends the messages of a history through the API, fillWorkers
// requests in flight.
type filler struct {
	api  *api
	send func(k int) fillSend
	// stored, when set, gets the id and seq of every message whose
	// fillSend asked to decode; it is called from the workers.
	stored func(k int, m storedMessage)
	log    io.Writer
	// every: a progress line each this many messages (0: none).
	every int
}

const fillWorkers = 64

// run sends messages from … to−1, each retried twice (200 ms apart) before
// the fill fails, and returns how long it took.
func (f filler) run(ctx context.Context, from, to int) (time.Duration, error) {
	var next, done atomic.Int64
	next.Store(int64(from))
	start := time.Now()
	err := forEach(ctx, fillWorkers, fillWorkers, func(ctx context.Context, _ int) error {
		for {
			k := int(next.Add(1) - 1)
			if k >= to || ctx.Err() != nil {
				return ctx.Err()
			}
			s := f.send(k)
			var out *storedMessage
			if s.decode {
				out = new(storedMessage)
			}
			var err error
			for attempt := range 3 {
				if attempt > 0 {
					if err := sleep(ctx, 200*time.Millisecond); err != nil {
						return err
					}
				}
				if err = f.api.postMessage(ctx, s.token, s.room, s.content, s.clientID, out); err == nil {
					break
				}
			}
			if err != nil {
				return fmt.Errorf("message %d: %w", k, err)
			}
			if out != nil && f.stored != nil {
				f.stored(k, *out)
			}
			if d := done.Add(1); f.every > 0 && d%int64(f.every) == 0 {
				el := time.Since(start)
				fmt.Fprintf(f.log, "  %d/%d messages (%.0f/s, %v)\n", int64(from)+d, to, float64(d)/el.Seconds(), el.Round(time.Second))
			}
		}
	})
	took := time.Since(start)
	if err != nil {
		return took, fmt.Errorf("fill messages %d–%d: %w", from, to-1, err)
	}
	return took, nil
}
