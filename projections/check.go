package projections

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/pizzeria/pizzeria/internal/boltstore"
)

// Check verifies the views in dir, which no process may hold open: bbolt's
// own consistency check of the served file and the checksum and shape of
// every record. Every problem found is reported; nil means sound.
func Check(dir string) error {
	path, err := servedPath(dir)
	if err != nil {
		return err
	}
	return boltstore.Check(path, func(bucket string, k, v []byte) error {
		switch bucket {
		case string(bucketOrders):
			_, err := decodeOrder(string(k), v)
			return err
		case string(bucketCheese):
			_, err := readCount(string(k), v)
			return err
		}
		return nil
	})
}

// servedPath is the file CURRENT names, which must exist.
func servedPath(dir string) (string, error) {
	gen, err := readCurrent(dir)
	if err != nil {
		return "", err
	}
	path := genPath(dir, gen)
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("views: %s names generation %d, but %w", filepath.Join(dir, currentFile), gen, err)
	}
	return path, nil
}
