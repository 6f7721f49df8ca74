// Package auth holds the credential adapters: Tokens (ports.TokenIssuer,
// HS256 JWTs naming their user and session, through lestrrat-go/jwx v2) and Passwords (ports.PasswordHasher,
// argon2id through alexedwards/argon2id).
//
// It imports chat/domain, chat/ports and those libraries; never the
// application or other adapters.
package auth
