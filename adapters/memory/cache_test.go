package memory_test

import (
	"testing"

	"chat/adapters/memory"
	"chat/ports"
	"chat/ports/porttest"
)

func TestProfileCache(t *testing.T) {
	porttest.ProfileCache(t, func(t *testing.T) (ports.ProfileCache, ports.ProfileCache) {
		c := memory.NewCache()
		return c, c
	})
}
