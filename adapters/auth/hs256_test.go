package auth_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
)

func hs256(signingInput string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(signingInput))
	return signingInput + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
