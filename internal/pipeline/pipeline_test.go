package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/pizzeria/pizzeria/internal/boltlog"
	"github.com/pizzeria/pizzeria/internal/deadletter"
	"github.com/pizzeria/pizzeria/internal/faults"
	"github.com/pizzeria/pizzeria/internal/pipeline"
	"github.com/pizzeria/pizzeria/internal/testkit"
)

const (
	dlq     = "dead-letters"
	workers = 4
)

var errPoison = errors.New("poison")

// kitchen is a runner over a real embedded log, with one handler from
// "in" to "out" under group "g".
type kitchen struct {
	log     *boltlog.Log
	runner  *pipeline.Runner
	batches atomic.Int64
}

func start(t *testing.T, writes *faults.Gate, handle func(m *message.Message) ([]*message.Message, error)) *kitchen {
	t.Helper()
	return startWith(t, pipeline.Config{Writes: writes}, nil, handle)
}

// startWith starts a kitchen with cfg; wrap, if set, wraps the log's
// publisher.
func startWith(t *testing.T, cfg pipeline.Config, wrap func(message.Publisher) message.Publisher, handle func(m *message.Message) ([]*message.Message, error)) *kitchen {
	t.Helper()
	k := &kitchen{log: testkit.OpenLog(t, boltlog.Config{NackDelay: 10 * time.Millisecond})}
	cfg.Publisher = k.log.Publisher()
	if wrap != nil {
		cfg.Publisher = wrap(cfg.Publisher)
	}
	cfg.DeadLetters, cfg.Workers, cfg.CloseTimeout = dlq, workers, 5*time.Second
	cfg.IsPoison = func(err error) bool { return errors.Is(err, errPoison) }
	r, err := pipeline.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r.Add(pipeline.Handler{Name: "g", Group: "g", Topic: "in", Subscriber: k.log.Subscriber("g"), OutTopic: "out",
		Handle: func(msgs []*message.Message) ([][]*message.Message, []error) {
			k.batches.Add(1)
			outs := make([][]*message.Message, len(msgs))
			errs := make([]error, len(msgs))
			for i, m := range msgs {
				outs[i], errs[i] = handle(m)
			}
			return outs, errs
		}})
	k.runner = r
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	select {
	case <-r.Running():
	case err := <-done:
		t.Fatalf("run: %v", err)
	}
	return k
}

func (k *kitchen) publish(t *testing.T, payloads ...string) {
	t.Helper()
	msgs := make([]*message.Message, len(payloads))
	for i, p := range payloads {
		msgs[i] = message.NewMessage("in-"+p, []byte(p))
	}
	if err := k.log.Publisher().Publish("in", msgs...); err != nil {
		t.Fatal(err)
	}
}

// wait reads topic until it holds n messages and returns their payloads.
func (k *kitchen) wait(t *testing.T, topic string, n int) []string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var got []string
		err := k.log.ReadAll(context.Background(), topic, func(m *message.Message) error {
			got = append(got, string(m.Payload))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s holds %d messages after 10s, want %d: %v", topic, len(got), n, got)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func double(m *message.Message) ([]*message.Message, error) {
	return []*message.Message{message.NewMessage("out-"+string(m.Payload), m.Payload)}, nil
}

// Messages already in the log are handled many at once, each output
// published once, in the order of the inputs of its partition.
func TestAppendedMessagesAreHandledInBatches(t *testing.T) {
	k := start(t, nil, double)
	var want []string
	for i := range 500 {
		want = append(want, strconv.Itoa(i))
	}
	k.publish(t, want...) // one transaction: all of it is there at once
	got := k.wait(t, "out", len(want))
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("out: %d messages, want each of %d once", len(got), len(want))
	}
	if n := k.batches.Load(); n >= int64(len(want))/4 {
		t.Fatalf("500 messages took %d batches: they were not batched", n)
	}
}

// flaky fails its second Publish call.
type flaky struct {
	message.Publisher
	calls atomic.Int64
}

func (f *flaky) Publish(topic string, msgs ...*message.Message) error {
	if f.calls.Add(1) == 2 {
		return errors.New("broker away")
	}
	return f.Publisher.Publish(topic, msgs...)
}

// A batch that fans out into more than MaxPublish messages publishes them
// in turn; when one call fails, the messages whose outputs it (or a later
// call) carried are delivered again, and every output arrives.
func TestLargeFanOutsArePublishedInBoundedCalls(t *testing.T) {
	pub := &flaky{}
	k := startWith(t, pipeline.Config{MaxPublish: 3}, func(p message.Publisher) message.Publisher { pub.Publisher = p; return pub },
		func(m *message.Message) ([]*message.Message, error) {
			return []*message.Message{
				message.NewMessage("a-"+string(m.Payload), []byte(string(m.Payload)+"a")),
				message.NewMessage("b-"+string(m.Payload), []byte(string(m.Payload)+"b")),
			}, nil
		})
	k.publish(t, "0", "1", "2", "3", "4")
	deadline := time.Now().Add(10 * time.Second)
	for {
		seen := map[string]bool{}
		for _, p := range k.wait(t, "out", 0) {
			seen[p] = true
		}
		if len(seen) == 10 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("outputs seen: %v", seen)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := pub.calls.Load(); n < 5 {
		t.Fatalf("10 outputs, at most 3 per call, one call failed: %d calls", n)
	}
}

// A poisoned message goes to the dead-letter topic with why and where it
// was read from; its neighbours in the batch go on.
func TestPoisonIsDeadLetteredAndTheBatchGoesOn(t *testing.T) {
	k := start(t, nil, func(m *message.Message) ([]*message.Message, error) {
		if string(m.Payload) == "bad" {
			return nil, fmt.Errorf("cannot cook %q: %w", m.Payload, errPoison)
		}
		return double(m)
	})
	k.publish(t, "a", "bad", "b")
	if got := k.wait(t, "out", 2); len(got) != 2 {
		t.Fatalf("out: %v", got)
	}
	letters, err := deadletter.List(context.Background(), k.log, dlq, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(letters) != 1 {
		t.Fatalf("letters: %+v", letters)
	}
	l := letters[0]
	if l.Payload != "bad" || l.SourceTopic != "in" || l.Handler != "g" || l.SourceOffset != "1" || l.Reason != `cannot cook "bad": poison` {
		t.Fatalf("letter: %+v", l)
	}
}

// A failure that may pass later is retried until it does, and the
// message's output is published once it passes, never lost, never sent
// to the dead letters.
func TestTransientFailuresAreDeliveredAgain(t *testing.T) {
	var tries atomic.Int64
	k := start(t, nil, func(m *message.Message) ([]*message.Message, error) {
		if string(m.Payload) == "flaky" && tries.Add(1) < 3 {
			return nil, errors.New("ledger: input/output error")
		}
		return double(m)
	})
	k.publish(t, "a", "flaky", "b")
	got := k.wait(t, "out", 3)
	time.Sleep(50 * time.Millisecond) // a fourth output would be a duplicate
	if got = k.wait(t, "out", 3); len(got) != 3 || tries.Load() != 3 {
		t.Fatalf("out %v after %d tries of the flaky message", got, tries.Load())
	}
	if n, err := k.log.Count(dlq); err != nil || n != 0 {
		t.Fatalf("dead letters: %d, %v", n, err)
	}
}

// A panic in a batch is narrowed down to the messages that panic alone:
// they are dead-lettered and the others are handled.
func TestAPanicPoisonsOnlyTheMessageThatPanics(t *testing.T) {
	k := start(t, nil, func(m *message.Message) ([]*message.Message, error) {
		if string(m.Payload) == "boom" {
			panic("the oven exploded")
		}
		return double(m)
	})
	k.publish(t, "a", "boom", "b", "c")
	if got := k.wait(t, "out", 3); len(got) != 3 {
		t.Fatalf("out: %v", got)
	}
	letters := k.wait(t, dlq, 1)
	if len(letters) != 1 || letters[0] != "boom" {
		t.Fatalf("dead letters: %v", letters)
	}
}

// While writes fail, handlers wait on the gate instead of each hammering
// the failing store: one probe per backoff gets through. Once the store
// is back, the waiting messages are handled.
func TestHandlersWaitWhileWritesFail(t *testing.T) {
	var down atomic.Bool
	down.Store(true)
	gate := faults.New(faults.Config{Logger: slog.New(slog.NewTextHandler(&testkit.Buffer{}, nil)),
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 50 * time.Millisecond,
		Probe: func() error {
			if down.Load() {
				return errors.New("no space left on device")
			}
			return nil
		}})
	t.Cleanup(func() { gate.Close() })
	var calls atomic.Int64
	var mu sync.Mutex
	handled := map[string]bool{}
	k := start(t, gate, func(m *message.Message) ([]*message.Message, error) {
		calls.Add(1)
		if down.Load() {
			return nil, errors.New("views.db: no space left on device")
		}
		mu.Lock()
		defer mu.Unlock()
		handled[string(m.Payload)] = true
		return nil, nil
	})
	var payloads []string
	for i := range 16 {
		payloads = append(payloads, strconv.Itoa(i))
	}
	start := time.Now()
	k.publish(t, payloads...)
	time.Sleep(300 * time.Millisecond)
	// The batches in flight when the store failed fail, then at most one
	// probe per minimum backoff gets through.
	if n, bound := k.batches.Load(), int64(workers+1+int(time.Since(start)/(20*time.Millisecond))); n > bound || calls.Load() == 0 {
		t.Fatalf("%d batches ran in %v against a failing store, want 1..%d", n, time.Since(start), bound)
	}
	if gate.Err() == nil {
		t.Fatal("the gate does not report failing writes")
	}
	down.Store(false)
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(handled)
		mu.Unlock()
		if n == len(payloads) && gate.Err() == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("10s after the store recovered: %d of %d messages handled, gate: %v", n, len(payloads), gate.Err())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
