package pushtest

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Push is one push the service took: the payload as the browser would
// decrypt it, and what was wrong with the request (nil: nothing).
type Push struct {
	Subscriber *Subscriber
	Payload    []byte
	TTL        string
	Err        error
}

// Service is the test push service.
type Service struct {
	URL string

	vapid []byte // the server's VAPID public key, uncompressed
	srv   *httptest.Server

	mu     sync.Mutex
	subs   map[string]*Subscriber // by path
	answer int
	pushes chan Push
}

// Subscriber is one browser's subscription at the service, with the
// private half of its keys.
type Subscriber struct {
	Endpoint string
	P256DH   string // base64url, as PushSubscription.toJSON() gives it
	Auth     string
	key      *ecdh.PrivateKey
	secret   []byte
}

// New starts a service that accepts pushes signed by vapidPublicKey
// (base64url); it stops when the test ends.
func New(t testing.TB, vapidPublicKey string) *Service {
	t.Helper()
	pub, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(vapidPublicKey, "="))
	if err != nil || len(pub) != 65 {
		t.Fatalf("pushtest: VAPID public key %q is not a base64url P-256 point", vapidPublicKey)
	}
	s := &Service{vapid: pub, subs: map[string]*Subscriber{}, answer: http.StatusCreated, pushes: make(chan Push, 100)}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
}

// Subscribe makes a browser's subscription: a fresh P-256 key pair and
// auth secret, and an endpoint at the service.
func (s *Service) Subscribe(t testing.TB) *Subscriber {
	t.Helper()
	key, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	secret := make([]byte, 16)
	rand.Read(secret)
	id := make([]byte, 12)
	rand.Read(id)
	path := "/push/" + base64.RawURLEncoding.EncodeToString(id)
	sub := &Subscriber{
		Endpoint: s.URL + path,
		P256DH:   base64.RawURLEncoding.EncodeToString(key.PublicKey().Bytes()),
		Auth:     base64.RawURLEncoding.EncodeToString(secret),
		key:      key, secret: secret,
	}
	s.mu.Lock()
	s.subs[path] = sub
	s.mu.Unlock()
	return sub
}

// Answer makes the service answer later pushes with status (201 by
// default; 410 says the subscription is gone).
func (s *Service) Answer(status int) {
	s.mu.Lock()
	s.answer = status
	s.mu.Unlock()
}

// Next waits up to d for the next push and fails the test if it does not
// come or was not a valid one.
func (s *Service) Next(t testing.TB, d time.Duration) Push {
	t.Helper()
	select {
	case p := <-s.pushes:
		if p.Err != nil {
			t.Fatalf("pushtest: invalid push: %v", p.Err)
		}
		return p
	case <-time.After(d):
		t.Fatalf("pushtest: no push within %s", d)
		return Push{}
	}
}

// None fails the test if a push comes within d.
func (s *Service) None(t testing.TB, d time.Duration) {
	t.Helper()
	select {
	case p := <-s.pushes:
		t.Fatalf("pushtest: unexpected push to %s: %q (err %v)", p.Subscriber.Endpoint, p.Payload, p.Err)
	case <-time.After(d):
	}
}

func (s *Service) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	sub, answer := s.subs[r.URL.Path], s.answer
	s.mu.Unlock()
	if sub == nil || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 8192))
	p := Push{Subscriber: sub, TTL: r.Header.Get("TTL")}
	if err == nil {
		err = s.checkVAPID(r)
	}
	if err == nil && r.Header.Get("Content-Encoding") != "aes128gcm" {
		err = fmt.Errorf("Content-Encoding %q, want aes128gcm", r.Header.Get("Content-Encoding"))
	}
	if err == nil && p.TTL == "" {
		err = errors.New("no TTL header")
	}
	if err == nil {
		p.Payload, err = sub.decrypt(body)
	}
	p.Err = err
	s.pushes <- p
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.WriteHeader(answer)
}

// checkVAPID checks the Authorization header: "vapid t=<JWT>, k=<key>".
func (s *Service) checkVAPID(r *http.Request) error {
	h, ok := strings.CutPrefix(r.Header.Get("Authorization"), "vapid ")
	if !ok {
		return errors.New("no vapid Authorization")
	}
	var token, k string
	for _, part := range strings.Split(h, ",") {
		name, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch name {
		case "t":
			token = v
		case "k":
			k = v
		}
	}
	if key, err := base64.RawURLEncoding.DecodeString(k); err != nil || !bytes.Equal(key, s.vapid) {
		return fmt.Errorf("vapid k=%q is not the server's public key", k)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return errors.New("vapid t is not a JWT")
	}
	var header struct{ Alg, Typ string }
	var claims struct {
		Aud string `json:"aud"`
		Exp int64  `json:"exp"`
		Sub string `json:"sub"`
	}
	if err := decodeJSON(parts[0], &header); err != nil || header.Alg != "ES256" {
		return fmt.Errorf("JWT header %+v (%v), want alg ES256", header, err)
	}
	if err := decodeJSON(parts[1], &claims); err != nil {
		return fmt.Errorf("JWT claims: %v", err)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		return errors.New("JWT signature is not 64 bytes of r||s")
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), s.vapid)
	if err != nil {
		return err
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(pub, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		return errors.New("the JWT's ES256 signature does not verify with the server's public key")
	}
	if origin := "http://" + r.Host; claims.Aud != origin {
		return fmt.Errorf("JWT aud %q, want the endpoint's origin %q", claims.Aud, origin)
	}
	now := time.Now().Unix()
	if claims.Exp <= now || claims.Exp > now+24*3600 {
		return fmt.Errorf("JWT exp %d is not within 24 h after now (%d)", claims.Exp, now)
	}
	if !strings.HasPrefix(claims.Sub, "mailto:") && !strings.HasPrefix(claims.Sub, "https:") {
		return fmt.Errorf("JWT sub %q is no contact", claims.Sub)
	}
	return nil
}

func decodeJSON(part string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// decrypt opens an aes128gcm body (RFC 8188) encrypted for sub (RFC 8291).
func (sub *Subscriber) decrypt(body []byte) ([]byte, error) {
	if len(body) < 21 {
		return nil, errors.New("body shorter than the aes128gcm header")
	}
	salt, rs, idlen := body[:16], binary.BigEndian.Uint32(body[16:20]), int(body[20])
	if idlen != 65 || len(body) < 21+idlen {
		return nil, fmt.Errorf("keyid of %d bytes, want the sender's 65-byte public key", idlen)
	}
	senderKey, ciphertext := body[21:21+idlen], body[21+idlen:]
	if uint32(len(ciphertext)) > rs {
		return nil, fmt.Errorf("%d bytes of ciphertext in one record of %d: one record expected", len(ciphertext), rs)
	}
	sender, err := ecdh.P256().NewPublicKey(senderKey)
	if err != nil {
		return nil, fmt.Errorf("sender key: %v", err)
	}
	shared, err := sub.key.ECDH(sender)
	if err != nil {
		return nil, err
	}
	info := append(append([]byte("WebPush: info\x00"), sub.key.PublicKey().Bytes()...), senderKey...)
	prk, err := hkdf.Extract(sha256.New, shared, sub.secret)
	if err != nil {
		return nil, err
	}
	ikm, err := hkdf.Expand(sha256.New, prk, string(info), 32)
	if err != nil {
		return nil, err
	}
	cek, err := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: aes128gcm\x00", 16)
	if err != nil {
		return nil, err
	}
	nonce, err := hkdf.Key(sha256.New, ikm, salt, "Content-Encoding: nonce\x00", 12)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	plain, err := gcm.Open(nil, nonce, ciphertext, nil)
	if err != nil {
		return nil, fmt.Errorf("decrypt: %v", err)
	}
	// The last record ends with the delimiter 0x02, then padding zeros.
	end := bytes.LastIndexByte(plain, 2)
	if end < 0 || len(bytes.Trim(plain[end+1:], "\x00")) != 0 {
		return nil, errors.New("no last-record delimiter")
	}
	return plain[:end], nil
}
