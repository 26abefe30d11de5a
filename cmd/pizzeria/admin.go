package main

import (
	"context"
	"log/slog"

	"github.com/pizzeria/pizzeria/events"
	"github.com/pizzeria/pizzeria/internal/deadletter"
	"github.com/pizzeria/pizzeria/projections"
)

// admin carries out the operator's requests: replay and dead letters.
type admin struct {
	store *projections.Store
	t     transport
	codec *events.Codec
	// redriveGroup's offset on the dead-letter topic marks what was re-driven.
	redriveGroup string
	logger       *slog.Logger
}

// Replay rebuilds the views from the log while the live ones keep serving.
func (a *admin) Replay(ctx context.Context) (projections.RebuildStats, error) {
	a.logger.Info("replay started")
	st, err := a.store.Rebuild(ctx, a.t, a.codec, func(topic string, n int) {
		a.logger.Info("replay progress", "topic", topic, "read", n)
	})
	if err != nil {
		a.logger.Error("replay failed", "error", err)
		return st, err
	}
	a.logger.Info("replay done", "read", st.Read, "applied", st.Applied, "skipped", st.Skipped, "took", st.Took)
	return st, nil
}

// DeadLetters lists letters not yet re-driven.
func (a *admin) DeadLetters(ctx context.Context, limit int) ([]deadletter.Letter, error) {
	return listDeadLetters(ctx, a.t, a.codec.Topics().DeadLetters, a.redriveGroup, limit)
}

// Redrive re-drives every pending letter.
func (a *admin) Redrive(ctx context.Context) (int, error) {
	return redriveDeadLetters(ctx, a.t, a.codec.Topics().DeadLetters, a.redriveGroup)
}

func listDeadLetters(ctx context.Context, t transport, topic, group string, limit int) ([]deadletter.Letter, error) {
	pending, err := t.Lag(ctx, group, []string{topic})
	if err != nil {
		return nil, err
	}
	total, err := t.Count(ctx, topic)
	if err != nil {
		return nil, err
	}
	return deadletter.List(ctx, t, topic, max(total-pending, 0), limit)
}

func redriveDeadLetters(ctx context.Context, t transport, topic, group string) (int, error) {
	pending, err := t.Lag(ctx, group, []string{topic})
	if err != nil {
		return 0, err
	}
	sub, err := t.Subscriber(group)
	if err != nil {
		return 0, err
	}
	defer sub.Close()
	return deadletter.Redrive(ctx, sub, t.Publisher(), topic, pending)
}
