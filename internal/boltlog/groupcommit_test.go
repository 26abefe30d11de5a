package boltlog_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/pizzeria/pizzeria/internal/boltlog"
)

func TestConcurrentPublishesShareTransactions(t *testing.T) {
	t.Parallel()
	l := mustOpen(t, testConfig(t))
	pub := l.Publisher()
	const publishers, each = 32, 20
	before := l.Stats()

	var wg sync.WaitGroup
	errs := make(chan error, publishers*each)
	for p := range publishers {
		wg.Go(func() {
			for i := range each {
				errs <- pub.Publish("pizza", message.NewMessage(fmt.Sprintf("%d-%d", p, i), []byte("x")))
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}

	after := l.Stats()
	msgs := after.Appended - before.Appended
	txs := after.Transactions - before.Transactions
	t.Logf("%d messages in %d transactions (%.1f per commit)", msgs, txs, float64(msgs)/float64(txs))
	if msgs != publishers*each {
		t.Fatalf("appended %d, want %d", msgs, publishers*each)
	}
	if txs*2 > msgs {
		t.Fatalf("%d transactions for %d messages: publishes are not grouped", txs, msgs)
	}
	if n, err := l.Count("pizza"); err != nil || n != publishers*each {
		t.Fatalf("Count = %d, %v", n, err)
	}
}

// TestPublishBatchIsContiguous checks that one Publish call's messages get
// consecutive offsets even when other publishers write the same topic.
func TestPublishBatchIsContiguous(t *testing.T) {
	t.Parallel()
	l := mustOpen(t, testConfig(t))
	pub := l.Publisher()
	const publishers, batch = 8, 5
	var wg sync.WaitGroup
	for p := range publishers {
		wg.Go(func() {
			msgs := make([]*message.Message, batch)
			for i := range msgs {
				msgs[i] = message.NewMessage(fmt.Sprintf("%d-%d", p, i), []byte(fmt.Sprintf("%d/%d", p, i)))
			}
			if err := pub.Publish("t", msgs...); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()

	var payloads []string
	err := l.ReadPartition(context.Background(), "t", 0, 0, publishers*batch, func(_ uint64, msg *message.Message) error {
		payloads = append(payloads, string(msg.Payload))
		return nil
	})
	if err != nil || len(payloads) != publishers*batch {
		t.Fatalf("read %d messages, %v", len(payloads), err)
	}
	for start := 0; start < len(payloads); start += batch {
		owner, _, _ := strings.Cut(payloads[start], "/")
		for i := range batch {
			if want := owner + "/" + strconv.Itoa(i); payloads[start+i] != want {
				t.Fatalf("offset %d holds %q, want %q: batch split", start+i, payloads[start+i], want)
			}
		}
	}
}

// TestSlowConsumerAcksShareTransactions checks that a consumer slower than
// an fsync does not cost a transaction per ack.
func TestSlowConsumerAcksShareTransactions(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.OffsetCommitInterval = 20 * time.Millisecond
	l := mustOpenNoCleanup(t, cfg)
	const n = 200
	publishBatch(t, l, "t", n)
	before := l.Stats()
	ch := subscribe(t, l.Subscriber("g"), "t")
	for range n {
		msg := receive(t, ch, 5*time.Second)
		time.Sleep(time.Millisecond) // a handler doing some work
		msg.Ack()
	}
	closeWithin(t, l, 5*time.Second) // flushes every pending offset
	after := l.Stats()
	txs := after.Transactions - before.Transactions
	t.Logf("%d acks in %d transactions", n, txs)
	if txs == 0 || txs*4 > n {
		t.Fatalf("%d transactions for %d acks: offset commits are not grouped", txs, n)
	}
}

// TestAcksRideAlongWithAppends checks that pending offsets are written by
// the next append's transaction instead of one of their own.
func TestAcksRideAlongWithAppends(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.MaxInFlight = 1
	cfg.OffsetCommitInterval = time.Hour
	l := mustOpen(t, cfg)
	publishBatch(t, l, "t", 3)
	ch := subscribe(t, l.Subscriber("g"), "t")
	receive(t, ch, 5*time.Second).Ack()
	receive(t, ch, 5*time.Second) // its delivery means the first ack is queued
	before := l.Stats()
	if before.OffsetCommits != 0 {
		t.Fatalf("offset written alone before the interval: %+v", before)
	}
	publishBatch(t, l, "other", 1)
	after := l.Stats()
	if txs, offs := after.Transactions-before.Transactions, after.OffsetCommits; txs != 1 || offs != 1 {
		t.Fatalf("append wrote %d transactions and %d offsets, want 1 and 1", txs, offs)
	}
}

func publishBatch(t *testing.T, l *boltlog.Log, topic string, n int) {
	t.Helper()
	msgs := make([]*message.Message, n)
	for i := range msgs {
		msgs[i] = message.NewMessage(strconv.Itoa(i), []byte("x"))
	}
	if err := l.Publisher().Publish(topic, msgs...); err != nil {
		t.Fatal(err)
	}
}
