// Package projections folds events into the read models (the order view and
// the cheese report) kept in bbolt, exactly once per event, and rebuilds them
// from the log on demand.
package projections

import (
	"errors"
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
// Applies from any number of goroutines share transactions (group commit:
// see boltstore.Batcher); reads run concurrently with them. A swap waits for
// both and holds new ones back only for the moment of the swap.
type Store struct {
	dir     string
	notify  *Notifier
	batcher *boltstore.Batcher[[]item]

	mu     sync.RWMutex
	db     *bolt.DB // the served views
	gen    int      // its generation, the number in its file name
	shadow *bolt.DB // a rebuild in progress: live applies go here too

	observers observers
}

// Open opens the views in dir, creating an empty set if there is none.
func Open(dir string) (*Store, error) {
	gen, err := readCurrent(dir)
	if err != nil {
		return nil, err
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
	s.batcher = boltstore.NewBatcher(s.applyBatch)
	return s, nil
}

// Close waits for applies in progress, then closes the served views and any
// rebuild in progress.
func (s *Store) Close() error {
	s.batcher.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shadow != nil {
		s.shadow.Close()
	}
	return s.db.Close()
}

// Notifier returns the watcher woken by changes to an order's view.
func (s *Store) Notifier() *Notifier { return s.notify }

// Apply folds events into the views, in one transaction shared with other
// callers, and wakes the watchers of the orders it changed. Applying an
// event again changes nothing.
func (s *Store) Apply(evs ...events.Event) error {
	items := make([]item, len(evs))
	for i, e := range evs {
		items[i] = item{event: e}
	}
	return s.batcher.Do(items)
}

// ApplyAt folds e, read from the log at pos, into the views exactly once:
// pos is recorded in the same transaction as e's effects, and a message
// redelivered from a position already applied is skipped.
func (s *Store) ApplyAt(pos boltstore.Position, e events.Event) error {
	return s.batcher.Do([]item{{event: e, pos: &pos}})
}

// applyEach folds items in one transaction shared with other callers and
// returns, per item, why it was rejected, or the error that failed them
// all.
func (s *Store) applyEach(items []item) ([]error, error) {
	err := s.batcher.Do(items)
	var rej rejections
	switch {
	case errors.As(err, &rej):
		return rej, nil
	case err != nil:
		return nil, err
	}
	return make([]error, len(items)), nil
}

// rejections is the error of a request some of whose items the views
// refused: one entry per item, nil for those applied.
type rejections []error

func (r rejections) Error() string   { return errors.Join(r...).Error() }
func (r rejections) Unwrap() []error { return []error(r) }

// rejectionsOf is nil if no item was rejected.
func rejectionsOf(rejected []error) error {
	for _, e := range rejected {
		if e != nil {
			return rejections(rejected)
		}
	}
	return nil
}

// applyBatch runs the requests of many callers in one transaction. If that
// fails, each runs in its own, so that one bad request fails alone.
func (s *Store) applyBatch(reqs [][]item) ([]error, error) {
	var all []item
	for _, r := range reqs {
		all = append(all, r...)
	}
	rejected, err := s.commit(all)
	if err != nil {
		if len(reqs) == 1 {
			return nil, err
		}
		errs := make([]error, len(reqs))
		for i, r := range reqs {
			errs[i] = requestError(s.commit(r))
		}
		return errs, nil
	}
	if rejected == nil {
		return nil, nil
	}
	errs := make([]error, len(reqs))
	i := 0
	for n, r := range reqs {
		errs[n] = rejectionsOf(rejected[i : i+len(r)])
		i += len(r)
	}
	return errs, nil
}

// requestError is the error of a request committed alone.
func requestError(rejected []error, err error) error {
	if err != nil {
		return err
	}
	return rejectionsOf(rejected)
}

// commit folds items into the served views and any rebuild in progress,
// in one transaction each, and wakes the watchers of what changed. It
// returns, per item, why it was rejected (nil if none was).
func (s *Store) commit(items []item) ([]error, error) {
	var done folded
	s.mu.RLock()
	err := boltstore.Guard(s.db.Path(), func() error {
		return s.db.Update(func(tx *bolt.Tx) (err error) {
			done, err = foldBatch(tx, items, true)
			return err
		})
	})
	if err == nil && s.shadow != nil {
		err = boltstore.Guard(s.shadow.Path(), func() error {
			return s.shadow.Update(func(tx *bolt.Tx) error {
				_, err := foldBatch(tx, items, false)
				return err
			})
		})
	}
	s.mu.RUnlock()
	if err != nil {
		return nil, fmt.Errorf("views: %w", err)
	}
	s.observers.notify(done.fresh)
	s.notify.changed(done.changed, done.completed)
	return done.rejected, nil
}

// view runs fn in a read transaction on the served views.
func (s *Store) view(fn func(tx *bolt.Tx) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return boltstore.Guard(s.db.Path(), func() error { return s.db.View(fn) })
}

// readCurrent returns the generation CURRENT names: 1 when there is none.
func readCurrent(dir string) (int, error) {
	b, err := os.ReadFile(filepath.Join(dir, currentFile))
	if os.IsNotExist(err) {
		return 1, nil
	}
	if err != nil {
		return 0, fmt.Errorf("views: %w", err)
	}
	gen, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || gen < 1 {
		return 0, fmt.Errorf("views: %s is damaged (%q); delete %s and the service rebuilds the views from the log", filepath.Join(dir, currentFile), b, dir)
	}
	return gen, nil
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

// Seen reports how far the served views have applied each partition of the
// log, for checking that the log they are fed is the one they were built
// from.
func (s *Store) Seen() ([]boltstore.Seen, error) {
	var out []boltstore.Seen
	err := s.view(func(tx *bolt.Tx) (err error) {
		out, err = boltstore.SeenIn(tx.Bucket(bucketPositions))
		return err
	})
	return out, err
}

// Fresh reports whether the served views hold nothing at all: no order and
// no position. A fresh store beside a log that holds events has lost its
// views (a deleted or emptied file) and must be rebuilt from the log.
func (s *Store) Fresh() (bool, error) { return s.holdsNothingIn(bucketOrders, bucketPositions) }

// holdsNothingIn reports whether every one of the buckets is empty in the
// served views.
func (s *Store) holdsNothingIn(buckets ...[]byte) (bool, error) {
	empty := true
	err := s.view(func(tx *bolt.Tx) error {
		for _, b := range buckets {
			if k, _ := tx.Bucket(b).Cursor().First(); k != nil {
				empty = false
			}
		}
		return nil
	})
	return empty, err
}

// LogID is the identity of the event log the views were built from, as
// recorded by SetLogID; empty if none was recorded.
func (s *Store) LogID() (string, error) {
	var id string
	err := s.view(func(tx *bolt.Tx) error {
		id = string(tx.Bucket(bucketMeta).Get(keyLogID))
		return nil
	})
	return id, err
}

// SetLogID records the identity of the event log the views are built from.
func (s *Store) SetLogID(id string) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keyLogID, []byte(id)) })
}
