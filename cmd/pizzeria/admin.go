package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/pizzeria/pizzeria/api"
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

// Replay rebuilds the views from the log while the live ones keep serving,
// telling progress how far it got.
func (a *admin) Replay(ctx context.Context, progress projections.Progress) (projections.RebuildStats, error) {
	a.logger.Info("replay started")
	st, err := a.store.Rebuild(ctx, a.t, a.codec, func(topic string, n int) {
		a.logger.Info("replay progress", "topic", topic, "read", n)
		if progress != nil {
			progress(topic, n)
		}
	})
	if err != nil {
		a.logger.Error("replay failed", "error", err)
		return st, err
	}
	a.logger.Info("replay done", "read", st.Read, "applied", st.Applied, "skipped", st.Skipped, "took", st.Took)
	return st, nil
}

// LogSize is how many events the event topics hold.
func (a *admin) LogSize(ctx context.Context) (int64, error) {
	var n int64
	for _, topic := range a.codec.Topics().Events() {
		c, err := a.t.Count(ctx, topic)
		if err != nil {
			return 0, err
		}
		n += c
	}
	return n, nil
}

// newAdmin serves the operator's requests for the kitchen of cfg; store
// may be nil where only dead letters are handled.
func newAdmin(cfg *config, t transport, codec *events.Codec, store *projections.Store, logger *slog.Logger) *admin {
	return &admin{store: store, t: t, codec: codec, redriveGroup: cfg.TopicPrefix + deadletter.RedriveGroup, logger: logger}
}

// DeadLetters lists up to limit letters not yet re-driven.
func (a *admin) DeadLetters(ctx context.Context, limit int) ([]deadletter.Letter, error) {
	topic := a.codec.Topics().DeadLetters
	pending, err := a.t.Lag(ctx, a.redriveGroup, []string{topic})
	if err != nil {
		return nil, err
	}
	total, err := a.t.Count(ctx, topic)
	if err != nil {
		return nil, err
	}
	return deadletter.List(ctx, a.t, topic, max(total-pending, 0), limit)
}

// Redrive re-drives every pending letter.
func (a *admin) Redrive(ctx context.Context) (int, error) {
	topic := a.codec.Topics().DeadLetters
	pending, err := a.t.Lag(ctx, a.redriveGroup, []string{topic})
	if err != nil {
		return 0, err
	}
	sub, err := a.t.Subscriber(a.redriveGroup)
	if err != nil {
		return 0, err
	}
	defer sub.Close()
	return deadletter.Redrive(ctx, sub, a.t.Publisher(), topic, pending)
}

// apiAdmin is the admin as the HTTP layer sees it: its own types and
// errors, so that api/ depends on no store.
type apiAdmin struct{ *admin }

func (a apiAdmin) Replay(ctx context.Context, progress api.ReplayProgress) (api.ReplayStats, error) {
	st, err := a.admin.Replay(ctx, projections.Progress(progress))
	switch {
	case errors.Is(err, projections.ErrRebuildInProgress):
		err = fmt.Errorf("%w: %w", api.ErrReplayRunning, err)
	case errors.Is(err, projections.ErrEmptyLog), errors.Is(err, errLogShorter), errors.Is(err, errOtherLog):
		err = fmt.Errorf("%w: %w", api.ErrReplayRefused, err)
	}
	return api.ReplayStats(st), err
}

func (a apiAdmin) DeadLetters(ctx context.Context, limit int) ([]api.DeadLetter, error) {
	letters, err := a.admin.DeadLetters(ctx, limit)
	out := make([]api.DeadLetter, len(letters))
	for i, l := range letters {
		out[i] = api.DeadLetter(l)
	}
	return out, err
}
