package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/pizzeria/pizzeria/events"
	"github.com/pizzeria/pizzeria/internal/deadletter"
)

// running is an assembled process serving HTTP in this test, with its
// transport at hand so a test can write raw messages to the log.
type running struct {
	*process
	base string
}

func mustBuild(tb testing.TB, args ...string) *running {
	tb.Helper()
	var cfg config
	fs := newFlagSet(&cfg)
	if err := fs.Parse(args); err != nil {
		tb.Fatal(err)
	}
	if err := cfg.validate(); err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p, err := build(ctx, &cfg, allRoles(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		tb.Fatal(err)
	}
	s, err := p.start(ctx, "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		s.stop(5 * time.Second)
		cancel()
		p.Close()
	})
	return &running{process: p, base: "http://" + s.addr}
}

func poisonMessages() map[string]struct {
	topic string
	msg   *message.Message
} {
	with := func(payload string, md map[string]string) *message.Message {
		m := message.NewMessage("poison-"+strings.ReplaceAll(payload[:min(8, len(payload))], " ", ""), []byte(payload))
		m.Metadata.Set(events.MetaCorrelationID, "poisoned-order")
		for k, v := range md {
			m.Metadata.Set(k, v)
		}
		return m
	}
	return map[string]struct {
		topic string
		msg   *message.Message
	}{
		"malformed json":        {"pizza", with(`{"order_id":`, nil)},
		"unknown event type":    {"orders", with(`{"order_id":"x","count":1}`, map[string]string{events.MetaEventType: "OrderEaten"})},
		"future schema version": {"orders", with(`{"order_id":"x","count":1}`, map[string]string{events.MetaEventType: "OrderPlaced", events.MetaSchemaVersion: "9"})},
		"missing order id":      {"pizza", with(`{"pizza_id":"p","sauce":""}`, nil)},
		"oversized value":       {"pizza-with-sauce", with(`{"order_id":"x","pizza_id":"`+strings.Repeat("z", events.MaxPayloadBytes)+`"}`, nil)},
	}
}

// Every kind of poison lands in the dead-letter topic with its reason and
// where it came from, and orders placed after it still complete.
func TestPoisonMessagesAreDeadLetteredAndTheKitchenGoesOn(t *testing.T) {
	for _, broker := range []string{"embedded", "kafka"} {
		t.Run(broker, func(t *testing.T) {
			args := []string{"--data-dir", t.TempDir(), "--broker", broker}
			if broker == "kafka" {
				args = append(args, "--kafka-brokers", mustKfake(t), "--kafka-partitions", "2")
			}
			r := mustBuild(t, args...)
			poison := poisonMessages()
			for name, p := range poison {
				if err := r.kitchen.t.Publisher().Publish(p.topic, p.msg); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
			}
			in := &instance{base: r.base}
			id := in.placeOrder(t, 3)
			in.awaitCompleted(t, id, 3)

			a := newAdmin(&config{}, r.kitchen.t, r.kitchen.codec, nil, nil)
			var letters []deadletter.Letter
			for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
				var err error
				letters, err = a.DeadLetters(context.Background(), 100)
				if err != nil {
					t.Fatal(err)
				}
				// The projections consume every topic, so each poison
				// message fails in two handlers: its stage or order
				// manager, and the views.
				if len(letters) >= 2*len(poison) || time.Now().After(deadline) {
					break
				}
			}
			if len(letters) != 2*len(poison) {
				t.Fatalf("%d dead letters, want %d: %+v", len(letters), 2*len(poison), letters)
			}
			for _, l := range letters {
				if l.Reason == "" || l.SourceTopic == "" || l.SourcePartition == "" || l.SourceOffset == "" || l.Handler == "" {
					t.Fatalf("dead letter lacks its reason or origin: %+v", l)
				}
			}
			// Still poison after a redrive: back they come, once per
			// message (not once per letter), and nothing breaks.
			n, err := a.Redrive(context.Background())
			if err != nil || n != len(letters) {
				t.Fatalf("redrive: %d, %v", n, err)
			}
			for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
				again, err := a.DeadLetters(context.Background(), 100)
				if err != nil {
					t.Fatal(err)
				}
				if len(again) == 2*len(poison) {
					break
				}
				if len(again) > 2*len(poison) || time.Now().After(deadline) {
					t.Fatalf("%d letters after a redrive of %d poison messages, want %d", len(again), len(poison), 2*len(poison))
				}
			}
			second := in.placeOrder(t, 2)
			in.awaitCompleted(t, second, 2)
		})
	}
}
