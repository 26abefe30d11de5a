package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/ThreeDotsLabs/watermill"

	"github.com/pizzeria/pizzeria/events"
	"github.com/pizzeria/pizzeria/projections"
)

// replay rebuilds this node's views from the whole log into a fresh file and
// swaps it in. On the embedded log the service must be stopped (it holds the
// files); a running service offers POST /admin/replay instead.
func replay(ctx context.Context, cfg *config, stdout, stderr io.Writer) error {
	codec := events.NewCodec(topics(cfg))
	t, err := openTransport(ctx, cfg, watermill.NopLogger{}, codec.Topics())
	if err != nil {
		return err
	}
	defer t.Close()
	store, err := projections.Open(viewsDir(cfg))
	if err != nil {
		return err
	}
	defer store.Close()
	if err := checkViewsMatchLog(t, store, viewsDir(cfg)); err != nil {
		return err
	}
	st, err := store.Rebuild(ctx, t, codec, func(topic string, n int) {
		fmt.Fprintf(stderr, "replay: %-20s %8d events read\n", topic, n)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "replayed %d events (%d applied, %d undecodable skipped) into views generation %d in %s\n",
		st.Read, st.Applied, st.Skipped, st.Generation, st.Took.Round(1e6))
	if cfg.Broker == "kafka" {
		return nil // the order managers' ledgers live in their own data dirs
	}
	completed, err := rebuildLedgerFile(ctx, cfg.DataDir, t, codec)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "rebuilt the order manager's completion ledger (%d orders completed that lacked their OrderCompleted)\n", completed)
	return nil
}

// deadLetters lists or re-drives dead letters from the command line.
func deadLetters(ctx context.Context, cfg *config, action string, stdout io.Writer) error {
	codec := events.NewCodec(topics(cfg))
	t, err := openTransport(ctx, cfg, watermill.NopLogger{}, codec.Topics())
	if err != nil {
		return err
	}
	defer t.Close()
	a := newAdmin(cfg, t, codec, nil, nil)
	switch action {
	case "list":
		letters, err := a.DeadLetters(ctx, 1000)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(stdout)
		for _, l := range letters {
			if err := enc.Encode(l); err != nil {
				return err
			}
		}
		fmt.Fprintf(stdout, "%d dead letters pending\n", len(letters))
		return nil
	case "redrive":
		n, err := a.Redrive(ctx)
		fmt.Fprintf(stdout, "re-drove %d dead letters\n", n)
		return err
	}
	return fmt.Errorf("%w: dlq takes list or redrive, not %q", errUsage, action)
}
