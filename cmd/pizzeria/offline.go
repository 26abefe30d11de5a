package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill"

	"github.com/pizzeria/pizzeria/events"
	"github.com/pizzeria/pizzeria/projections"
)

// offlineConnectTimeout bounds how long an offline command waits for the
// event log: unlike a role, which waits for its broker to come up, an
// operator at a terminal wants an answer.
const offlineConnectTimeout = 10 * time.Second

// openOffline opens the event log for a command run by hand, giving up
// after offlineConnectTimeout with what to check.
func openOffline(ctx context.Context, cfg *config, topics events.Topics) (transport, error) {
	cctx, cancel := context.WithTimeout(ctx, offlineConnectTimeout)
	defer cancel()
	t, err := openTransport(cctx, cfg, watermill.NopLogger{}, topics)
	if err != nil && cfg.Broker == "kafka" && ctx.Err() == nil {
		return nil, fmt.Errorf("no Kafka broker answered within %s at %s: check --kafka-brokers (PIZZERIA_KAFKA_BROKERS), "+
			"that the brokers run and are reachable from here, and the TLS and SASL settings (last error: %v)",
			offlineConnectTimeout, strings.Join(cfg.Kafka.Brokers, ","), err)
	}
	return t, err
}

// replay rebuilds this node's views from the whole log into a fresh file and
// swaps it in. On the embedded log the service must be stopped (it holds the
// files); a running service offers POST /admin/replay instead.
func replay(ctx context.Context, cfg *config, force bool, stdout, stderr io.Writer) error {
	codec := events.NewCodec(topics(cfg))
	t, err := openOffline(ctx, cfg, codec.Topics())
	if err != nil {
		return err
	}
	defer t.Close()
	store, err := projections.Open(viewsDir(cfg))
	if err != nil {
		return err
	}
	defer store.Close()
	if err := checkViewsMatchLog(ctx, t, store, viewsDir(cfg)); err != nil && !force {
		return fmt.Errorf("%w (or replay with --force to rebuild from this log anyway)", err)
	}
	if err := checkLedgerFile(ctx, t, cfg.DataDir, codec.Topics()); err != nil && !force {
		return fmt.Errorf("%w (or replay with --force to rebuild from this log anyway)", err)
	}
	st, err := store.Rebuild(ctx, t, codec, func(topic string, n int) {
		fmt.Fprintf(stderr, "replay: %-20s %8d events read\n", topic, n)
	})
	if err != nil {
		return err
	}
	if force {
		if err := adoptLog(ctx, t, store); err != nil {
			return err
		}
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
	t, err := openOffline(ctx, cfg, codec.Topics())
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
