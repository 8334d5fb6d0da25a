package catalog_test

import (
	"os"
	"testing"

	"github.com/shakedown-dev/shakedown/env"
)

// TestMain gives the test binary's own process testcontainers-go's settings, as the shakedown
// command's main does: without them the docker backend refuses to start (no registry for Ryuk's
// image, ports looked for at the default gateway) and the docker half of the catalog is skipped.
func TestMain(m *testing.M) {
	env.SetProcessDefaults()
	os.Exit(m.Run())
}
