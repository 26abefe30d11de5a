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
	if end, err := l.EndOffset("pizza"); err != nil || end != publishers*each {
		t.Fatalf("EndOffset = %d, %v", end, err)
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
	err := l.Read(context.Background(), "t", 0, publishers*batch, func(_ uint64, msg *message.Message) error {
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

// TestAcksShareTransactions checks that offset commits go through the group
// commit instead of costing a transaction per ack.
func TestAcksShareTransactions(t *testing.T) {
	t.Parallel()
	l := mustOpenNoCleanup(t, testConfig(t))
	const n = 200
	msgs := make([]*message.Message, n)
	for i := range msgs {
		msgs[i] = message.NewMessage(strconv.Itoa(i), []byte("x"))
	}
	if err := l.Publisher().Publish("t", msgs...); err != nil {
		t.Fatal(err)
	}
	before := l.Stats()
	sub := l.Subscriber("g")
	ch := subscribe(t, sub, "t")
	for range n {
		receive(t, ch, 5*time.Second).Ack()
	}
	closeWithin(t, l, 5*time.Second) // flushes every pending offset
	after := l.Stats()
	txs := after.Transactions - before.Transactions
	t.Logf("%d acks in %d transactions, %d offset writes", n, txs, after.OffsetCommits-before.OffsetCommits)
	if txs == 0 || txs*2 > n {
		t.Fatalf("%d transactions for %d acks: offset commits are not grouped", txs, n)
	}
}
