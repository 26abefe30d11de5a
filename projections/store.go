// Package projections folds events into the read models (the order view and
// the cheese report) kept in bbolt, exactly once per event, and rebuilds them
// from the log on demand.
package projections

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	bolt "go.etcd.io/bbolt"

	"github.com/pizzeria/pizzeria/events"
	"github.com/pizzeria/pizzeria/internal/boltstore"
)

const currentFile = "CURRENT"

// Store holds the views of one process in a directory: numbered bbolt
// files and a CURRENT file naming the one being served. A rebuild fills the
// next file while the current one keeps serving, then swaps atomically.
//
// Reads and applies may run concurrently from any goroutine; a swap waits
// for them and holds new ones back only for the moment of the swap.
type Store struct {
	dir    string
	notify *Notifier

	mu     sync.RWMutex
	db     *bolt.DB // the served views
	gen    int      // its generation, the number in its file name
	shadow *bolt.DB // a rebuild in progress: live applies go here too

	observers observers
}

// Open opens the views in dir, creating an empty set if there is none.
func Open(dir string) (*Store, error) {
	gen := 1
	if b, err := os.ReadFile(filepath.Join(dir, currentFile)); err == nil {
		if gen, err = strconv.Atoi(strings.TrimSpace(string(b))); err != nil || gen < 1 {
			return nil, fmt.Errorf("views: %s is damaged (%q); delete %s and run pizzeria replay", currentFile, b, dir)
		}
	} else if !os.IsNotExist(err) {
		return nil, fmt.Errorf("views: %w", err)
	}
	db, err := boltstore.Open(genPath(dir, gen), allBuckets...)
	if err != nil {
		return nil, fmt.Errorf("views: %w", err)
	}
	s := &Store{dir: dir, db: db, gen: gen, notify: NewNotifier()}
	if err := s.writeCurrent(gen); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the served views and any rebuild in progress.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shadow != nil {
		s.shadow.Close()
	}
	return s.db.Close()
}

// Notifier returns the watcher woken by every change to an order's view.
func (s *Store) Notifier() *Notifier { return s.notify }

// Apply folds events into the served views (and into a rebuild in
// progress), each exactly once, and wakes the watchers of changed orders.
// Concurrent calls share bbolt transactions.
func (s *Store) Apply(evs ...events.Event) error {
	s.mu.RLock()
	changed, err := applyBatch(s.db, evs)
	if err == nil && s.shadow != nil {
		_, err = applyBatch(s.shadow, evs)
	}
	s.mu.RUnlock()
	if err != nil {
		return fmt.Errorf("views: %w", err)
	}
	s.observers.notify(evs)
	for _, id := range changed {
		s.notify.Changed(id)
	}
	return nil
}

func applyBatch(db *bolt.DB, evs []events.Event) (changed []string, err error) {
	err = db.Batch(func(tx *bolt.Tx) error {
		changed = changed[:0]
		for _, e := range evs {
			ok, err := apply(tx, e)
			if err != nil {
				return err
			}
			if ok {
				changed = append(changed, e.OrderID())
			}
		}
		return nil
	})
	return changed, err
}

// view runs fn in a read transaction on the served views.
func (s *Store) view(fn func(tx *bolt.Tx) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.db.View(fn)
}

func genPath(dir string, gen int) string {
	return filepath.Join(dir, fmt.Sprintf("views-%06d.db", gen))
}

// writeCurrent points CURRENT at generation gen, atomically and durably.
func (s *Store) writeCurrent(gen int) error {
	tmp := filepath.Join(s.dir, currentFile+".tmp")
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(gen)+"\n"), 0o644); err != nil {
		return fmt.Errorf("views: %w", err)
	}
	f, err := os.Open(tmp)
	if err == nil {
		err = f.Sync()
		f.Close()
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(s.dir, currentFile))
	}
	if err == nil {
		err = syncDir(s.dir)
	}
	if err != nil {
		return fmt.Errorf("views: pointing %s at generation %d: %w", currentFile, gen, err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
