// Package user is the account aggregate: usernames, password rules and
// credentials, profiles, sessions, and the use cases a driving adapter may
// ask of them (Service, Sessions).
//
// It imports the standard library and chat/domain only.
package user
