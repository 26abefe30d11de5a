package projections

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	bolt "go.etcd.io/bbolt"

	"github.com/pizzeria/pizzeria/events"
	"github.com/pizzeria/pizzeria/internal/boltstore"
)

// ErrRebuildInProgress: only one rebuild runs at a time.
var ErrRebuildInProgress = errors.New("a rebuild is already in progress")

// ErrEmptyLog: the log holds no events while the views hold orders, which
// means the rebuild is reading the wrong topics (a wrong --topic-prefix, a
// wrong cluster), not that the kitchen is empty. The views are kept.
var ErrEmptyLog = errors.New("the log holds no events but the views hold orders; check the topic prefix and broker (views left as they were)")

// Source reads the log: every message of topic from the oldest up to the end
// as of the call, in log order per partition. Messages must carry the
// received_partition and received_offset metadata a live subscriber sets.
type Source interface {
	ReadAll(ctx context.Context, topic string, fn func(*message.Message) error) error
}

// Progress is told, now and then, how many messages of a topic were read.
type Progress func(topic string, read int)

// RebuildStats says what a rebuild did.
type RebuildStats struct {
	Read, Applied, Skipped int // Skipped: undecodable, i.e. dead letters
	Generation             int
	Took                   time.Duration
}

const rebuildBatch = 2000

// Rebuild replays every event topic from src into a fresh views file while
// the served one keeps answering and keeps being updated, then swaps them.
// Live applies during the rebuild go to both files; folding is idempotent
// and order-independent, so the new file ends equal to what the live one
// holds. The consumer positions of the served file move to the new one at
// the swap, so the live subscribers carry on where they were.
func (s *Store) Rebuild(ctx context.Context, src Source, codec *events.Codec, progress Progress) (RebuildStats, error) {
	start := time.Now()
	shadow, gen, err := s.beginRebuild()
	if err != nil {
		return RebuildStats{}, err
	}
	stats := RebuildStats{Generation: gen}
	for _, topic := range codec.Topics().Events() {
		if err := replayTopic(ctx, src, codec, topic, shadow, &stats, progress); err != nil {
			s.abortRebuild(gen)
			return stats, err
		}
	}
	if stats.Read == 0 {
		if empty, err := s.empty(); err != nil || !empty {
			s.abortRebuild(gen)
			return stats, errors.Join(ErrEmptyLog, err)
		}
	}
	if err := s.swap(gen); err != nil {
		s.abortRebuild(gen)
		return stats, err
	}
	stats.Took = time.Since(start)
	return stats, nil
}

// replayTopic reads and decodes topic while the batches already decoded
// are folded, so that a rebuild keeps both cores busy.
func replayTopic(ctx context.Context, src Source, codec *events.Codec, topic string, db *bolt.DB, st *RebuildStats, progress Progress) error {
	batches := make(chan []item, 2)
	failed := make(chan struct{}) // closed when a fold fails
	var applied, refused int
	var foldErr error
	folding := make(chan struct{})
	go func() {
		defer close(folding)
		for batch := range batches {
			if foldErr != nil {
				continue
			}
			foldErr = db.Update(func(tx *bolt.Tx) error {
				done, err := foldBatch(tx, batch, false)
				applied += done.applied
				for _, r := range done.rejected {
					if r != nil {
						refused++
					}
				}
				return err
			})
			if foldErr != nil {
				close(failed)
			}
		}
	}()
	batch := make([]item, 0, rebuildBatch)
	read := 0
	readErr := src.ReadAll(ctx, topic, func(msg *message.Message) error {
		read++
		st.Read++
		e, err := codec.Decode(topic, msg)
		if err != nil {
			st.Skipped++
			return nil
		}
		if batch = append(batch, item{event: e}); len(batch) < rebuildBatch {
			return nil
		}
		if progress != nil {
			progress(topic, read)
		}
		select {
		case batches <- batch:
		case <-failed:
			return errFoldFailed
		}
		batch = make([]item, 0, rebuildBatch)
		return nil
	})
	if readErr == nil && len(batch) > 0 {
		batches <- batch
	}
	close(batches)
	<-folding
	st.Applied += applied
	st.Skipped += refused
	if errors.Is(readErr, errFoldFailed) {
		readErr = nil
	}
	if progress != nil {
		progress(topic, read)
	}
	if err := errors.Join(readErr, foldErr); err != nil {
		return fmt.Errorf("replaying %s: %w", topic, err)
	}
	return nil
}

// errFoldFailed stops reading once folding failed; the fold's error is
// the one reported.
var errFoldFailed = errors.New("folding failed")

// empty reports whether the served views hold no order.
func (s *Store) empty() (bool, error) { return s.holdsNothingIn(bucketOrders) }

func (s *Store) beginRebuild() (*bolt.DB, int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shadow != nil {
		return nil, 0, ErrRebuildInProgress
	}
	gen := s.gen + 1
	path := genPath(s.dir, gen)
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return nil, 0, err
	}
	db, err := boltstore.Open(path, allBuckets...)
	if err != nil {
		return nil, 0, err
	}
	// Nothing reads the new file before the swap, and a crash before it
	// throws the file away: its commits need not be synced one by one. The
	// swap's own commit syncs them all.
	db.NoSync = true
	s.shadow = db
	return db, gen, nil
}

func (s *Store) abortRebuild(gen int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.shadow != nil {
		s.shadow.Close()
		s.shadow = nil
		os.Remove(genPath(s.dir, gen))
	}
}

// swap serves the rebuilt file from now on and removes the old one.
func (s *Store) swap(gen int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shadow.NoSync = false // this commit's fdatasync also makes the rebuild's durable
	err := s.shadow.Update(func(tx *bolt.Tx) error {
		return s.db.View(func(live *bolt.Tx) error {
			if err := copyBucket(live.Bucket(bucketMeta), tx.Bucket(bucketMeta)); err != nil {
				return err
			}
			return copyBucket(live.Bucket(bucketPositions), tx.Bucket(bucketPositions))
		})
	})
	if err != nil {
		return err
	}
	if err := s.writeCurrent(gen); err != nil {
		return err
	}
	old, oldGen := s.db, s.gen
	s.db, s.gen, s.shadow = s.shadow, gen, nil
	old.Close()
	os.Remove(genPath(s.dir, oldGen))
	return nil
}

// copyBucket replaces what dst holds with what src holds.
func copyBucket(src, dst *bolt.Bucket) error {
	var stale [][]byte
	if err := dst.ForEach(func(k, _ []byte) error {
		if src.Get(k) == nil {
			stale = append(stale, k)
		}
		return nil
	}); err != nil {
		return err
	}
	for _, k := range stale {
		if err := dst.Delete(k); err != nil {
			return err
		}
	}
	return src.ForEach(func(k, v []byte) error { return dst.Put(k, v) })
}
