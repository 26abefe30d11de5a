package kitchen

import (
	"context"
	"fmt"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/pizzeria/pizzeria/events"
)

// LogReader reads a topic from its oldest message to its end as of the call.
type LogReader interface {
	ReadAll(ctx context.Context, topic string, fn func(*message.Message) error) error
}

// RebuildTarget is an empty ledger being refilled from the log.
type RebuildTarget interface {
	CompletionLedger
	MarkCompleted(orderIDs ...string) error
}

const rebuildChunk = 4096

// RebuildLedger refills an empty completion ledger from the log, so the
// order manager's state, like every view, can be thrown away: orders whose
// OrderCompleted is in the log are marked complete, then every finished
// pizza is recorded. It returns the OrderCompleted events the log lacks
// (every pizza of the order done, but the process stopped before publishing
// the completion); the caller publishes them, and their ids are the
// deterministic ones, so a duplicate is harmless.
func RebuildLedger(ctx context.Context, log LogReader, codec *events.Codec, ledger RebuildTarget) (missing []*message.Message, err error) {
	topics := codec.Topics()
	var completed []string
	err = log.ReadAll(ctx, topics.Orders, func(msg *message.Message) error {
		e, err := codec.Decode(topics.Orders, msg)
		if err != nil {
			return nil // a dead letter: it never completed anything
		}
		if c, ok := e.Body.(*events.OrderCompleted); ok {
			completed = append(completed, c.OrderID)
			if len(completed) == rebuildChunk {
				err, completed = ledger.MarkCompleted(completed...), completed[:0]
			}
		}
		return err
	})
	if err == nil {
		err = ledger.MarkCompleted(completed...)
	}
	if err != nil {
		return nil, fmt.Errorf("rebuilding the completion ledger from %s: %w", topics.Orders, err)
	}
	var (
		done    []Done
		causes  []events.Event
		emitted = map[string]bool{}
	)
	flush := func() error {
		out, err := ledger.RecordDone(done...)
		if err != nil {
			return err
		}
		for i, o := range out {
			if o.Complete && o.Decisive && !emitted[done[i].OrderID] {
				emitted[done[i].OrderID] = true
				m, err := codec.Encode(orderCompleted(causes[i]))
				if err != nil {
					return err
				}
				missing = append(missing, m)
			}
		}
		done, causes = done[:0], causes[:0]
		return nil
	}
	err = log.ReadAll(ctx, topics.Veggies, func(msg *message.Message) error {
		e, err := codec.Decode(topics.Veggies, msg)
		if err != nil || e.OrderCount == 0 {
			return nil // a dead letter, or a pizza of unknown size
		}
		p := e.Body.(*events.PizzaEvent).Pizza
		done = append(done, Done{OrderID: p.OrderID, PizzaID: p.PizzaID, Count: e.OrderCount})
		causes = append(causes, e)
		if len(done) == rebuildChunk {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return nil, fmt.Errorf("rebuilding the completion ledger from %s: %w", topics.Veggies, err)
	}
	return missing, nil
}
