package command

import (
	"context"
	"errors"
	"maps"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pizzeria/pizzeria/internal/boltlog"
	"github.com/pizzeria/pizzeria/internal/boltstore"
	"github.com/pizzeria/pizzeria/internal/testkit"
)

// openLogAndKeys opens a real embedded log and a real key store, both
// closed when the test ends.
func openLogAndKeys(t *testing.T) (*boltlog.Log, *boltstore.Keys) {
	t.Helper()
	l := testkit.OpenLog(t, boltlog.Config{})
	keys, err := boltstore.OpenKeys(filepath.Join(t.TempDir(), "idempotency.db"), 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { keys.Close() })
	return l, keys
}

// diesBeforeMarking is a key store whose process "dies" between the append
// and the record that the append happened: the mark never lands.
type diesBeforeMarking struct{ KeyStore }

func (diesBeforeMarking) Replace(string, []byte) error { return errors.New("process died") }

func TestAKeyOutlivesACrashBetweenAppendAndRecord(t *testing.T) {
	ctx := context.Background()
	l, keys := openLogAndKeys(t)
	cmd := PlaceOrder{Count: 3, IdempotencyKey: "crash-me"}

	first, err := NewPlaceOrderHandler(l.Publisher(), codec, 0).RememberKeys(diesBeforeMarking{keys}).Handle(ctx, cmd)
	if err != nil {
		t.Fatal(err)
	}
	// After the restart the retry does not know whether the append landed.
	h := NewPlaceOrderHandler(l.Publisher(), codec, 0).RememberKeys(keys)
	retry, err := h.Handle(ctx, cmd)
	if err != nil {
		t.Fatal(err)
	}
	if retry != first {
		t.Fatalf("the retry answered %+v, the first %+v", retry, first)
	}
	msgs := readTopic(t, l, "orders")
	if len(msgs) != 2 {
		t.Fatalf("%d OrderPlaced records, want the original and one identical re-append", len(msgs))
	}
	a, b := msgs[0], msgs[1]
	if a.UUID != b.UUID || string(a.Payload) != string(b.Payload) || !sameMetadata(a.Metadata, b.Metadata) {
		t.Fatalf("the re-append differs from the original, so consumers could not drop it:\n%v %s\n%v %s", a.Metadata, a.Payload, b.Metadata, b.Payload)
	}
	// Now the key is known to be appended: further retries append nothing.
	again, err := h.Handle(ctx, cmd)
	if err != nil || again != first {
		t.Fatalf("a later retry: %+v, %v", again, err)
	}
	if n := len(readTopic(t, l, "orders")); n != 2 {
		t.Fatalf("%d records after a retry of an appended key, want 2", n)
	}
	if _, err := h.Handle(ctx, PlaceOrder{Count: 4, IdempotencyKey: "crash-me"}); !errors.Is(err, ErrIdempotencyKeyReused) {
		t.Fatalf("another count with the key: %v, want ErrIdempotencyKeyReused", err)
	}
}

// sameMetadata compares what a consumer reads, not where it was read from.
func sameMetadata(a, b map[string]string) bool {
	strip := func(m map[string]string) map[string]string {
		m = maps.Clone(m)
		delete(m, "received_partition")
		delete(m, "received_offset")
		return m
	}
	return maps.Equal(strip(a), strip(b))
}

func TestAFailedAppendLeavesTheKeyRetriable(t *testing.T) {
	ctx := context.Background()
	l, keys := openLogAndKeys(t)
	down := testkit.OpenLog(t, boltlog.Config{})
	down.Close()
	cmd := PlaceOrder{Count: 2, IdempotencyKey: "log-was-down"}
	if _, err := NewPlaceOrderHandler(down.Publisher(), codec, 0).RememberKeys(keys).Handle(ctx, cmd); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("append to a closed log: %v, want ErrUnavailable", err)
	}
	placed, err := NewPlaceOrderHandler(l.Publisher(), codec, 0).RememberKeys(keys).Handle(ctx, cmd)
	if err != nil {
		t.Fatal(err)
	}
	if msgs := readTopic(t, l, "orders"); len(msgs) != 1 || decodeAll(t, "orders", msgs)[0].OrderID() != placed.OrderID {
		t.Fatalf("the retry after a failed append stored %d events, want its one order", len(msgs))
	}
}

// countingKeys counts the reservations that reach the key store and holds
// every mark until release is closed.
type countingKeys struct {
	KeyStore
	reserves, marks atomic.Int32
	release         chan struct{}
}

func (k *countingKeys) Reserve(key string, rec []byte) ([]byte, error) {
	k.reserves.Add(1)
	return k.KeyStore.Reserve(key, rec)
}

func (k *countingKeys) Replace(key string, rec []byte) error {
	<-k.release
	k.marks.Add(1)
	return k.KeyStore.Replace(key, rec)
}

func TestAKeyedOrderWaitsForOneKeyCommit(t *testing.T) {
	ctx := context.Background()
	l, keys := openLogAndKeys(t)
	ck := &countingKeys{KeyStore: keys, release: make(chan struct{})}
	h := NewPlaceOrderHandler(l.Publisher(), codec, 0).RememberKeys(ck)
	cmd := PlaceOrder{Count: 2, IdempotencyKey: "one-commit"}
	type result struct {
		placed Placed
		err    error
	}
	handle := func(out chan<- result) {
		p, err := h.Handle(ctx, cmd)
		out <- result{p, err}
	}

	firstDone := make(chan result, 1)
	go handle(firstDone)
	var first result
	select {
	case first = <-firstDone:
	case <-time.After(10 * time.Second):
		close(ck.release)
		t.Fatal("the request waited for the mark that its order was appended: it paid a second key-store commit")
	}
	if first.err != nil {
		t.Fatal(first.err)
	}
	if n := ck.reserves.Load(); n != 1 {
		t.Fatalf("%d reservations for one request, want 1", n)
	}
	// Retries wait for the mark (the key stays locked until it lands),
	// then answer from the record without writing.
	retried := make(chan result, 3)
	for range 3 {
		go handle(retried)
	}
	close(ck.release)
	for range 3 {
		if r := <-retried; r.err != nil || r.placed != first.placed {
			t.Fatalf("a retry answered %+v, %v; the first %+v", r.placed, r.err, first.placed)
		}
	}
	if n, m := ck.reserves.Load(), ck.marks.Load(); n != 1 || m != 1 {
		t.Fatalf("%d reservations and %d marks after a request and 3 retries; want 1 and 1 (a retry commits nothing)", n, m)
	}
	if msgs := readTopic(t, l, "orders"); len(msgs) != 1 {
		t.Fatalf("%d OrderPlaced events, want 1", len(msgs))
	}
}
