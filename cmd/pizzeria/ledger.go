package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/pizzeria/pizzeria/events"
	"github.com/pizzeria/pizzeria/internal/boltstore"
	kit "github.com/pizzeria/pizzeria/kitchen"
)

const ledgerFile = "order-manager.db"

// openedLedger is the order manager's completion ledger in the data dir and
// the event log it records as its own.
type openedLedger struct {
	*boltstore.Ledger
	log    transport // unwrapped, to read the log's identity
	topics []string
}

// openLedger opens the order manager's completion ledger. It first refuses
// a ledger built from another log (another embedded log file, another Kafka
// cluster), or from a longer copy of this one (see checkLedgerMark). An
// empty ledger (a first start, or a lost file) is refilled from the log
// before the order manager runs, so that orders in flight still complete.
// The ledger then records the log and how far it reaches (on the embedded
// log again when it is closed). t is the transport the kitchen uses; log is
// the same log unwrapped.
func openLedger(ctx context.Context, cfg *config, t, log transport, codec *events.Codec, logger *slog.Logger) (*openedLedger, error) {
	path := filepath.Join(cfg.DataDir, ledgerFile)
	l, err := boltstore.OpenLedger(path)
	if err != nil {
		return nil, err
	}
	lf := &openedLedger{Ledger: l, log: log, topics: ledgerTopics(codec.Topics())}
	if err := lf.prepare(ctx, path, t, codec, logger); err != nil {
		l.Close()
		return nil, err
	}
	return lf, nil
}

func (lf *openedLedger) prepare(ctx context.Context, path string, t transport, codec *events.Codec, logger *slog.Logger) error {
	empty, err := lf.Empty()
	if err != nil {
		return err
	}
	if !empty {
		built, err := lf.LogMark()
		if err != nil {
			return err
		}
		now, ok, err := logMark(ctx, lf.log, lf.topics)
		if err != nil || !ok {
			return err
		}
		if err := checkLedgerMark(built, now, path); err != nil {
			return err
		}
		return lf.SetLogMark(now) // the mark just read: no second read of the log
	}
	n, err := refillLedger(ctx, t, codec, lf.Ledger)
	if err != nil {
		return err
	}
	if n > 0 {
		logger.Warn("completion ledger was empty: rebuilt it from the log and completed orders that lacked their OrderCompleted", "completed", n)
	}
	// Read the mark again: the refill may have published completions.
	return markLedger(ctx, lf.Ledger, lf.log, lf.topics)
}

// markLedger records that the ledger is log's and how far the log reaches
// now: a later start refuses a log shorter than that.
func markLedger(ctx context.Context, l *boltstore.Ledger, log transport, topics []string) error {
	now, ok, err := logMark(ctx, log, topics)
	if err != nil || !ok {
		return err
	}
	return l.SetLogMark(now)
}

// Close records how far the log reached and closes the ledger. On Kafka
// the ends recorded at start stand: a broker gone at shutdown must not
// hold the stop up.
func (lf *openedLedger) Close() error {
	var err error
	if _, embedded := lf.log.(embeddedTransport); embedded {
		err = markLedger(context.Background(), lf.Ledger, lf.log, lf.topics)
	}
	return errors.Join(err, lf.Ledger.Close())
}

// refillLedger rebuilds an empty ledger from the log and publishes the
// completions the log lacks.
func refillLedger(ctx context.Context, t transport, codec *events.Codec, l *boltstore.Ledger) (int, error) {
	missing, err := kit.RebuildLedger(ctx, t, codec, l)
	if err != nil {
		return 0, err
	}
	if len(missing) > 0 {
		if err := t.Publisher().Publish(codec.Topics().Orders, missing...); err != nil {
			return 0, fmt.Errorf("publishing %d missing order completions: %w", len(missing), err)
		}
	}
	return len(missing), nil
}

// rebuildLedgerFile replaces the ledger in dataDir with one rebuilt from the
// log, built aside and renamed over the old one.
func rebuildLedgerFile(ctx context.Context, dataDir string, t transport, codec *events.Codec) (completed int, err error) {
	path := filepath.Join(dataDir, ledgerFile)
	tmp := path + ".rebuild"
	os.Remove(tmp)
	l, err := boltstore.OpenLedger(tmp)
	if err != nil {
		return 0, err
	}
	completed, err = refillLedger(ctx, t, codec, l)
	if err == nil {
		err = markLedger(ctx, l, t, ledgerTopics(codec.Topics()))
	}
	if cerr := l.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return 0, fmt.Errorf("rebuilding %s: %w", path, err)
	}
	return completed, nil
}

// checkLedgerFile refuses the closed ledger in dataDir if it was built from
// another log or a longer copy of this one.
func checkLedgerFile(ctx context.Context, t transport, dataDir string, topics events.Topics) error {
	path := filepath.Join(dataDir, ledgerFile)
	if _, err := os.Stat(path); err != nil {
		return nil // none yet: replay builds it
	}
	now, ok, err := logMark(ctx, t, ledgerTopics(topics))
	if err != nil || !ok {
		return err
	}
	built, err := boltstore.FileLedgerLogMark(path)
	if err != nil {
		return err
	}
	return checkLedgerMark(built, now, path)
}
