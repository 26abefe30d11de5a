package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"

	"github.com/pizzeria/pizzeria/events"
	"github.com/pizzeria/pizzeria/internal/boltstore"
	"github.com/pizzeria/pizzeria/internal/kafka"
	"github.com/pizzeria/pizzeria/projections"
)

// errLogShorter: the views have seen more of the log than it holds.
var errLogShorter = errors.New("the event log is shorter than what the views were built from")

// errOtherLog: the views were built from another event log.
var errOtherLog = errors.New("the views were built from another event log")

// checkViewsMatchLog refuses views built from another log: views that name
// another log's identity (another embedded log file, another Kafka
// cluster), or that have applied a partition further than the log's end
// (the log was replaced, truncated or emptied; on Kafka, a topic deleted
// and created again). Serving (or replaying) them would silently lose
// orders. Views that name no log adopt this one.
func checkViewsMatchLog(ctx context.Context, t transport, store *projections.Store, viewsDir string) error {
	seen, err := store.Seen()
	if err != nil {
		return err
	}
	var topics []string
	for _, s := range seen {
		if !slices.Contains(topics, s.Topic) {
			topics = append(topics, s.Topic)
		}
	}
	now, ok, err := logMark(ctx, t, topics)
	if err != nil || !ok {
		return err
	}
	built, err := store.LogID()
	switch {
	case err != nil:
		return err
	case built == "":
		// Views new, or older than log identities: from now on they are
		// this log's.
		if err := store.SetLogID(now.ID); err != nil {
			return err
		}
	case built != now.ID:
		return fmt.Errorf("%w: the views in %s were built from log %s, and the event log now is %s. %s",
			errOtherLog, viewsDir, built, now.ID, replacedLog(viewsDir, "the views are"))
	}
	for _, s := range seen {
		if have := endIn(now.Ends, s.Topic, int(s.Partition)); uint64(s.End) > have {
			return fmt.Errorf("%w: the views in %s have applied topic %s partition %d up to offset %d, but the log holds %d events there. %s",
				errLogShorter, viewsDir, s.Topic, s.Partition, s.End, have, replacedLog(viewsDir, "the views are"))
		}
	}
	return nil
}

// healer rebuilds lost views (a deleted or emptied views file, a CURRENT
// naming a missing file) from the log, while the process runs: the live
// views keep being fed and the rebuilt ones take their place. The process
// is not ready until it is done.
type healer struct {
	store  *projections.Store
	t      transport
	codec  *events.Codec
	logger *slog.Logger
	read   atomic.Int64
	busy   atomic.Bool
}

// needsHealing reports whether store has lost its views: it holds nothing
// while the log holds events.
func needsHealing(ctx context.Context, store *projections.Store, t transport, topics events.Topics) (bool, error) {
	fresh, err := store.Fresh()
	if err != nil || !fresh {
		return false, err
	}
	for _, topic := range topics.Events() {
		n, err := t.Count(ctx, topic)
		if err != nil {
			return false, err
		}
		if n > 0 {
			return true, nil
		}
	}
	return false, nil
}

func (h *healer) run(ctx context.Context) {
	defer h.busy.Store(false)
	h.logger.Warn("the views are empty but the log holds events: rebuilding them from the log; not ready until done")
	st, err := h.store.Rebuild(ctx, h.t, h.codec, func(_ string, n int) { h.read.Store(int64(n)) })
	if err != nil {
		h.logger.Error("rebuilding the views failed; run pizzeria replay with the service stopped", "error", err)
		return
	}
	h.logger.Info("views rebuilt from the log", "events", st.Read, "took", st.Took)
}

// notReady is the readiness error while the views are being rebuilt.
func (h *healer) notReady() error {
	if h == nil || !h.busy.Load() {
		return nil
	}
	return fmt.Errorf("the views are being rebuilt from the log (%d events of a topic read so far)", h.read.Load())
}

func viewsDir(cfg *config) string { return viewsDirOf(cfg.DataDir) }

// adoptLog records that store's views were rebuilt from t's log, after a
// replay told to take the log in the data dir as it is (--force). Other
// rebuilds need not: the identity the views hold moves to the rebuilt file
// with the consumer positions.
func adoptLog(ctx context.Context, t transport, store *projections.Store) error {
	now, ok, err := logMark(ctx, t, nil)
	if err != nil || !ok {
		return err
	}
	return store.SetLogID(now.ID)
}

// errLedgerOtherLog: the order manager's ledger was built from another
// event log.
var errLedgerOtherLog = errors.New("the order manager's ledger was built from another event log")

// errLedgerLogShorter: the order manager's ledger has seen more of the log
// than it holds.
var errLedgerLogShorter = errors.New("the event log is shorter than what the order manager's ledger has seen")

// ledgerTopics are the topics the order manager's ledger is built from.
func ledgerTopics(topics events.Topics) []string { return []string{topics.Orders, topics.Veggies} }

// logMark is the identity of the event log t and its end offsets on
// topics: on the embedded log its file's id, on Kafka "kafka:" and the
// cluster's id. ok is false for a log with no identity (none so far).
func logMark(ctx context.Context, t transport, topics []string) (m boltstore.LogMark, ok bool, err error) {
	switch t := t.(type) {
	case embeddedTransport:
		if m.ID, err = t.log.ID(); err != nil {
			return m, true, err
		}
		m.Ends = make(map[string][]uint64, len(topics))
		for _, topic := range topics {
			if m.Ends[topic], err = t.log.EndOffsets(topic); err != nil {
				return m, true, err
			}
		}
		return m, true, nil
	case *kafkaTransport:
		id, ends, err := kafka.Identity(ctx, t.cfg, topics)
		return boltstore.LogMark{ID: "kafka:" + id, Ends: ends}, true, err
	}
	return m, false, nil
}

// checkLedgerMark refuses a ledger (at path) built from another log than
// the one now in the data dir, or from a longer copy of it, as
// checkViewsMatchLog refuses such views: the order manager would complete
// orders the log no longer holds, or miss ones it does. A ledger that names
// no log (new, or older than log identities) passes.
func checkLedgerMark(built, now boltstore.LogMark, path string) error {
	if built.ID == "" {
		return nil
	}
	if built.ID != now.ID {
		return fmt.Errorf("%w: the ledger %s was built from log %s, and the event log now is %s. %s",
			errLedgerOtherLog, path, built.ID, now.ID, replacedLog(path, "the ledger is"))
	}
	for topic, ends := range built.Ends {
		for p, end := range ends {
			if have := endIn(now.Ends, topic, p); end > have {
				return fmt.Errorf("%w: the ledger %s has seen topic %s partition %d reach offset %d, but the log holds %d events there. %s",
					errLedgerLogShorter, path, topic, p, end, have, replacedLog(path, "the ledger is"))
			}
		}
	}
	return nil
}

// endIn is partition p's end in ends, 0 where ends has none.
func endIn(ends map[string][]uint64, topic string, p int) uint64 {
	if e := ends[topic]; p < len(e) {
		return e[p]
	}
	return 0
}

// replacedLog tells what to do about a store at path (rebuilt names it:
// "the views are") built from a log that is not the one there now.
func replacedLog(path, rebuilt string) string {
	return fmt.Sprintf("If the log was replaced on purpose, move %s aside and start again: %s rebuilt from the log. Otherwise restore the log from a backup",
		path, rebuilt)
}
