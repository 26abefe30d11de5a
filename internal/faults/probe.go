package faults

import (
	"errors"
	"os"
	"path/filepath"
)

// DiskProbe writes size bytes to a scratch file in dir, syncs and removes
// it: the way a store in dir fails on a full disk or a failing fsync. The
// scratch file is named so that no store mistakes it for its own.
func DiskProbe(dir string, size int) func() error {
	buf := make([]byte, size)
	path := filepath.Join(dir, ".write-probe")
	return func() error {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		_, werr := f.Write(buf)
		serr := f.Sync()
		cerr := f.Close()
		rerr := os.Remove(path)
		return errors.Join(werr, serr, cerr, rerr)
	}
}
