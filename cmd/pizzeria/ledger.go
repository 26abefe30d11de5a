package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/pizzeria/pizzeria/events"
	"github.com/pizzeria/pizzeria/internal/boltstore"
	kit "github.com/pizzeria/pizzeria/kitchen"
)

const ledgerFile = "order-manager.db"

// openLedger opens the order manager's completion ledger. An empty one (a
// first start, or a lost file) is refilled from the log before the order
// manager runs, so that orders in flight still complete.
func openLedger(ctx context.Context, cfg *config, t transport, codec *events.Codec, logger *slog.Logger) (*boltstore.Ledger, error) {
	l, err := boltstore.OpenLedger(filepath.Join(cfg.DataDir, ledgerFile))
	if err != nil {
		return nil, err
	}
	empty, err := l.Empty()
	if err == nil && empty {
		var n int
		n, err = refillLedger(ctx, t, codec, l)
		if n > 0 {
			logger.Warn("completion ledger was empty: rebuilt it from the log and completed orders that lacked their OrderCompleted", "completed", n)
		}
	}
	if err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
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
