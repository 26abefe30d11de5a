package testkit

import (
	"path/filepath"
	"testing"

	"github.com/pizzeria/pizzeria/internal/boltlog"
)

// OpenLog opens a real embedded log in a fresh temporary directory, closed
// when the test ends. cfg may set anything but the path.
func OpenLog(tb testing.TB, cfg boltlog.Config) *boltlog.Log {
	tb.Helper()
	cfg.Path = filepath.Join(tb.TempDir(), "log.db")
	l, err := boltlog.Open(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { l.Close() })
	return l
}
