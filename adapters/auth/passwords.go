package auth

import (
	"github.com/alexedwards/argon2id"

	"chat/ports"
)

// DefaultParams are OWASP's recommended argon2id settings (19 MiB, 2
// passes, 1 lane): one login costs tens of milliseconds of one core.
var DefaultParams = argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// TestParams are cheap settings for tests only.
var TestParams = argon2id.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// Passwords hashes with argon2id. Hashes carry their parameters, so changing
// Params keeps old hashes verifiable.
type Passwords struct {
	Params argon2id.Params
}

var _ ports.PasswordHasher = (*Passwords)(nil)

// Hash returns an encoded argon2id hash of password.
func (p *Passwords) Hash(password string) (string, error) {
	return argon2id.CreateHash(password, &p.Params)
}

// Compare reports whether password matches hash, in constant time.
func (p *Passwords) Compare(password, hash string) (bool, error) {
	return argon2id.ComparePasswordAndHash(password, hash)
}
