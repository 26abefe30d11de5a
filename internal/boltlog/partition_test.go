package boltlog_test

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/pizzeria/pizzeria/internal/boltlog"
)

// corrFor returns a correlation id whose messages belong in partition p of a
// topic with n partitions (FNV-1a, the documented placement).
func corrFor(p, n int, salt string) string {
	for k := 0; ; k++ {
		id := fmt.Sprintf("order-%s-%d", salt, k)
		h := fnv.New32a()
		h.Write([]byte(id))
		if int(h.Sum32()%uint32(n)) == p {
			return id
		}
	}
}

func corrMessage(corr, payload string) *message.Message {
	msg := message.NewMessage(watermill.NewUUID(), []byte(payload))
	msg.Metadata.Set(metaCorrelationID, corr)
	return msg
}

// publishCorr publishes one message per payload, all with correlation id corr.
func publishCorr(tb testing.TB, pub message.Publisher, topic, corr string, payloads ...string) {
	tb.Helper()
	for _, p := range payloads {
		if err := pub.Publish(topic, corrMessage(corr, p)); err != nil {
			tb.Fatalf("publish %q: %v", p, err)
		}
	}
}

// position is where a delivered message comes from.
type position struct {
	partition int
	offset    uint64
}

func positionOf(tb testing.TB, msg *message.Message) position {
	tb.Helper()
	p, err := strconv.Atoi(msg.Metadata.Get(boltlog.MetaReceivedPartition))
	if err != nil {
		tb.Fatalf("message %s: received_partition: %v", msg.UUID, err)
	}
	off, err := strconv.ParseUint(msg.Metadata.Get(boltlog.MetaReceivedOffset), 10, 64)
	if err != nil {
		tb.Fatalf("message %s: received_offset: %v", msg.UUID, err)
	}
	return position{p, off}
}

// merge forwards every message of chans to one channel until tb ends.
func merge(tb testing.TB, chans ...<-chan *message.Message) <-chan *message.Message {
	out := make(chan *message.Message)
	done := make(chan struct{})
	tb.Cleanup(func() { close(done) })
	for _, ch := range chans {
		go func() {
			for msg := range ch {
				select {
				case out <- msg:
				case <-done:
					return
				}
			}
		}()
	}
	return out
}

func readAll(tb testing.TB, l *boltlog.Log, topic string) []*message.Message {
	tb.Helper()
	var msgs []*message.Message
	if err := l.ReadAll(context.Background(), topic, func(msg *message.Message) error {
		msgs = append(msgs, msg)
		return nil
	}); err != nil {
		tb.Fatalf("ReadAll(%q): %v", topic, err)
	}
	return msgs
}

func TestMessagesFollowTheirCorrelationID(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.Partitions = 4
	l := mustOpen(t, cfg)
	pub := l.Publisher()

	// Two orders per partition, interleaved, plus messages without one.
	want := map[string]int{"": 0} // correlation id -> partition
	var corrs []string
	for p := range 4 {
		for _, salt := range []string{"a", "b"} {
			id := corrFor(p, 4, salt)
			want[id] = p
			corrs = append(corrs, id)
		}
	}
	const perOrder = 5
	for i := range perOrder {
		for _, id := range corrs {
			publishCorr(t, pub, "pizza", id, fmt.Sprintf("%s/%d", id, i))
		}
	}
	mustPublish(t, pub, "pizza", "bare1", "bare2")
	// One Publish call spanning partitions.
	batch := []*message.Message{corrMessage(corrs[0], corrs[0]+"/5"), corrMessage(corrs[7], corrs[7]+"/5"), corrMessage(corrs[0], corrs[0]+"/6")}
	if err := pub.Publish("pizza", batch...); err != nil {
		t.Fatal(err)
	}
	total := len(corrs)*perOrder + 2 + len(batch)

	msgs := readAll(t, l, "pizza")
	if len(msgs) != total {
		t.Fatalf("ReadAll gave %d messages, want %d", len(msgs), total)
	}
	nextOffset := make([]uint64, 4)
	lastSeq := map[string]int{}
	lastPartition := -1
	for _, msg := range msgs {
		pos := positionOf(t, msg)
		corr := msg.Metadata.Get(metaCorrelationID)
		if pos.partition != want[corr] {
			t.Fatalf("%q (correlation %q) in partition %d, want %d", msg.Payload, corr, pos.partition, want[corr])
		}
		if pos.partition < lastPartition {
			t.Fatalf("ReadAll went back from partition %d to %d", lastPartition, pos.partition)
		}
		lastPartition = pos.partition
		if pos.offset != nextOffset[pos.partition] {
			t.Fatalf("partition %d: offset %d, want %d", pos.partition, pos.offset, nextOffset[pos.partition])
		}
		nextOffset[pos.partition]++
		if corr != "" {
			seq, _ := strconv.Atoi(strings.TrimPrefix(string(msg.Payload), corr+"/"))
			if last, ok := lastSeq[corr]; ok && seq != last+1 {
				t.Fatalf("correlation %s: %d after %d", corr, seq, last)
			}
			lastSeq[corr] = seq
		}
	}

	ends, err := l.EndOffsets("pizza")
	if err != nil || !slices.Equal(ends, nextOffset) {
		t.Fatalf("EndOffsets = %v, %v; want %v", ends, err, nextOffset)
	}
	if n, err := l.Count("pizza"); err != nil || n != int64(total) {
		t.Fatalf("Count = %d, %v; want %d", n, err, total)
	}
	if lag, err := l.Lag("fresh", []string{"pizza", "unknown"}); err != nil || lag != int64(total) {
		t.Fatalf("Lag = %d, %v; want %d", lag, err, total)
	}
}

func TestReadAllIsASnapshot(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.Partitions = 3
	l := mustOpen(t, cfg)
	pub := l.Publisher()
	for p := range 3 {
		publishCorr(t, pub, "t", corrFor(p, 3, "x"), "a", "b")
	}
	calls := 0
	err := l.ReadAll(context.Background(), "t", func(msg *message.Message) error {
		if calls == 0 {
			for p := range 3 {
				publishCorr(t, pub, "t", corrFor(p, 3, "x"), "late")
			}
		}
		calls++
		if string(msg.Payload) == "late" {
			t.Errorf("ReadAll delivered a message appended after it started")
		}
		if msg.Context() == nil {
			t.Errorf("message without context")
		}
		return nil
	})
	if err != nil || calls != 6 {
		t.Fatalf("ReadAll: %v after %d calls, want 6", err, calls)
	}
	if n := len(readAll(t, l, "t")); n != 9 {
		t.Fatalf("second ReadAll gave %d, want 9", n)
	}
}

func TestPartitionCountIsStoredWithTheTopic(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.Partitions = 4
	cfg.PartitionsFor = func(topic string) int {
		if topic == "dead-letters" {
			return 1
		}
		return 0
	}
	l := mustOpenNoCleanup(t, cfg)
	pub := l.Publisher()
	corr := corrFor(3, 4, "keep")
	publishCorr(t, pub, "a", corr, "before")
	publishCorr(t, pub, "dead-letters", corr, "letter")
	checkPartitions(t, l, map[string]int{"a": 4, "dead-letters": 1, "unwritten": 4})
	closeWithin(t, l, 5*time.Second)

	cfg.Partitions = 2
	cfg.PartitionsFor = nil
	l = mustOpen(t, cfg)
	pub = l.Publisher()
	publishCorr(t, pub, "a", corr, "after")
	publishCorr(t, pub, "dead-letters", corr, "letter 2")
	publishCorr(t, pub, "b", corr, "new")
	checkPartitions(t, l, map[string]int{"a": 4, "dead-letters": 1, "b": 2, "unwritten": 2})

	for topic, want := range map[string][]position{
		"a":            {{3, 0}, {3, 1}},
		"dead-letters": {{0, 0}, {0, 1}},
	} {
		var got []position
		for _, msg := range readAll(t, l, topic) {
			got = append(got, positionOf(t, msg))
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: messages at %v, want %v", topic, got, want)
		}
	}
}

func checkPartitions(t *testing.T, l *boltlog.Log, want map[string]int) {
	t.Helper()
	for topic, n := range want {
		if got, err := l.Partitions(topic); err != nil || got != n {
			t.Errorf("Partitions(%q) = %d, %v; want %d", topic, got, err, n)
		}
		if ends, err := l.EndOffsets(topic); err != nil || len(ends) != n {
			t.Errorf("EndOffsets(%q) = %v, %v; want %d partitions", topic, ends, err, n)
		}
	}
}

func TestPartitionsForCannotExceedTheLimit(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.PartitionsFor = func(string) int { return boltlog.MaxPartitions + 1 }
	l := mustOpen(t, cfg)
	if err := l.Publisher().Publish("t", message.NewMessage("x", nil)); err == nil {
		t.Fatal("Publish to a topic with too many partitions succeeded")
	}
	if _, err := l.Subscriber("g").Subscribe(context.Background(), "t"); err == nil {
		t.Fatal("Subscribe to a topic with too many partitions succeeded")
	}
}

// TestOneMessageInFlightPerPartition checks that with MaxInFlight 1 a group
// has exactly one un-acked message per partition out at a time, however many subscriptions
// compete, and that acks and nacks act on their own partition only.
func TestOneMessageInFlightPerPartition(t *testing.T) {
	t.Parallel()
	const n = 4
	cfg := testConfig(t)
	cfg.MaxInFlight = 1
	cfg.Partitions = n
	cfg.NackDelay = 50 * time.Millisecond
	l := mustOpen(t, cfg)
	pub := l.Publisher()
	for p := range n {
		publishCorr(t, pub, "t", corrFor(p, n, "x"), fmt.Sprintf("p%d-0", p), fmt.Sprintf("p%d-1", p), fmt.Sprintf("p%d-2", p))
	}
	ch := merge(t,
		subscribe(t, l.Subscriber("g"), "t"), subscribe(t, l.Subscriber("g"), "t"),
		subscribe(t, l.Subscriber("g"), "t"))

	held := map[int]*message.Message{}
	for range n {
		msg := receive(t, ch, 5*time.Second)
		pos := positionOf(t, msg)
		if held[pos.partition] != nil {
			t.Fatalf("second un-acked message from partition %d: %q", pos.partition, msg.Payload)
		}
		if pos.offset != 0 {
			t.Fatalf("partition %d delivered offset %d first", pos.partition, pos.offset)
		}
		held[pos.partition] = msg
	}
	expectNothing(t, ch, 200*time.Millisecond)

	// An ack releases the next message of that partition only.
	held[2].Ack()
	next := receive(t, ch, 5*time.Second)
	if pos := positionOf(t, next); pos != (position{2, 1}) || string(next.Payload) != "p2-1" {
		t.Fatalf("after ack of partition 2 got %q at %v, want p2-1 at {2 1}", next.Payload, pos)
	}
	held[2] = next
	expectNothing(t, ch, 100*time.Millisecond)

	// A nack redelivers that partition's head after the delay.
	nackedAt := time.Now()
	held[1].Nack()
	again := receive(t, ch, 5*time.Second)
	if time.Since(nackedAt) < cfg.NackDelay {
		t.Fatalf("redelivered before NackDelay")
	}
	if pos := positionOf(t, again); pos != (position{1, 0}) || again.UUID != held[1].UUID {
		t.Fatalf("after nack of partition 1 got %q at %v, want p1-0 at {1 0}", again.Payload, pos)
	}
	held[1] = again
	expectNothing(t, ch, 100*time.Millisecond)

	if lag, err := l.Lag("g", []string{"t"}); err != nil || lag != 3*n-1 {
		t.Fatalf("Lag = %d, %v; want %d", lag, err, 3*n-1)
	}
	if next, err := l.Committed("g", "t"); err != nil || !slices.Equal(next, []uint64{0, 0, 1, 0}) {
		t.Fatalf("Committed = %v, %v; want [0 0 1 0]", next, err)
	}
}

// TestPartitionOrderUnderConcurrency runs a consumer group like a watermill
// router: competing subscriptions, each message handled in its own goroutine
// with some work, some nacks. Every message must be acked exactly once and
// never be in flight twice at once. With MaxInFlight 1 every correlation's
// messages are acked in publish order, with never two of a partition in
// flight, while several partitions are in flight at once; with the default,
// many of a partition are in flight at once.
func TestPartitionOrderUnderConcurrency(t *testing.T) {
	t.Run("MaxInFlight=1", func(t *testing.T) { testConcurrentGroup(t, 1) })
	t.Run("default", func(t *testing.T) { testConcurrentGroup(t, 0) })
}

func testConcurrentGroup(t *testing.T, maxInFlight int) {
	t.Parallel()
	const orders, perOrder = 24, 25
	strict := maxInFlight == 1
	cfg := testConfig(t)
	cfg.Partitions = 8
	cfg.NackDelay = time.Millisecond
	cfg.MaxInFlight = maxInFlight
	l := mustOpen(t, cfg)
	pub := l.Publisher()

	var pubs sync.WaitGroup
	for o := range orders {
		pubs.Go(func() {
			for i := range perOrder {
				if err := pub.Publish("t", corrMessage(fmt.Sprintf("order-%d", o), strconv.Itoa(i))); err != nil {
					t.Error(err)
				}
			}
		})
	}
	pubs.Wait()

	var chans []<-chan *message.Message
	for range 2 {
		sub := l.Subscriber("kitchen")
		chans = append(chans, subscribe(t, sub, "t"), subscribe(t, sub, "t"))
	}
	ch := merge(t, chans...)

	var mu sync.Mutex
	acked := map[string][]int{}
	seen := map[position]bool{}
	inFlight := map[int]int{}
	out := map[position]bool{}
	total, mostInFlight, mostInPartition := 0, 0, 0
	nacked := map[string]bool{}
	done := make(chan struct{})
	var handlers sync.WaitGroup
	handle := func(msg *message.Message) {
		pos := positionOf(t, msg)
		corr := msg.Metadata.Get(metaCorrelationID)
		mu.Lock()
		inFlight[pos.partition]++
		total++
		mostInFlight = max(mostInFlight, total)
		mostInPartition = max(mostInPartition, inFlight[pos.partition])
		if strict && inFlight[pos.partition] > 1 {
			t.Errorf("two messages of partition %d in flight", pos.partition)
		}
		if out[pos] {
			t.Errorf("%v in flight twice at once", pos)
		}
		out[pos] = true
		mu.Unlock()

		time.Sleep(time.Duration(rand.IntN(500)) * time.Microsecond)

		mu.Lock()
		defer mu.Unlock()
		inFlight[pos.partition]--
		total--
		delete(out, pos)
		if key := msg.UUID; rand.IntN(10) == 0 && !nacked[key] {
			nacked[key] = true
			msg.Nack()
			return
		}
		if seen[pos] {
			t.Errorf("%v acked twice", pos)
		}
		seen[pos] = true
		seq, _ := strconv.Atoi(string(msg.Payload))
		acked[corr] = append(acked[corr], seq)
		msg.Ack()
		if len(seen) == orders*perOrder {
			close(done)
		}
	}
	go func() {
		for {
			select {
			case msg := <-ch:
				handlers.Go(func() { handle(msg) })
			case <-done:
				return
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("acked %d of %d messages", len(seen), orders*perOrder)
	}
	handlers.Wait()

	want := make([]int, perOrder)
	for i := range want {
		want[i] = i
	}
	for o := range orders {
		got := acked[fmt.Sprintf("order-%d", o)]
		if !strict {
			slices.Sort(got)
		}
		if !slices.Equal(got, want) {
			t.Errorf("order-%d acked in order %v", o, got)
		}
	}
	t.Logf("at most %d messages in flight at once, %d of one partition", mostInFlight, mostInPartition)
	if mostInFlight < 2 {
		t.Errorf("never more than one message in flight across 8 partitions")
	}
	if !strict && mostInPartition < 2 {
		t.Errorf("never more than one message of a partition in flight")
	}
	// The subscription takes an ack in asynchronously: give the last one
	// a moment to move the group's position.
	deadline := time.Now().Add(5 * time.Second)
	for {
		lag, err := l.Lag("kitchen", []string{"t"})
		if err == nil && lag == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Lag = %d, %v; want 0", lag, err)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestUnackedRedeliveredPerPartitionAfterReopen(t *testing.T) {
	t.Parallel()
	const n = 4
	cfg := testConfig(t)
	cfg.MaxInFlight = 1
	cfg.Partitions = n
	l := mustOpenNoCleanup(t, cfg)
	pub := l.Publisher()
	for p := range n {
		publishCorr(t, pub, "t", corrFor(p, n, "r"), "0", "1", "2")
	}

	// Partitions 0 and 1: ack the first message, hold the second.
	// Partitions 2 and 3: hold the first.
	ch := subscribe(t, l.Subscriber("g"), "t")
	held := map[int]*message.Message{}
	for len(held) < n {
		msg := receive(t, ch, 5*time.Second)
		pos := positionOf(t, msg)
		if pos.partition < 2 && pos.offset == 0 {
			msg.Ack()
			continue
		}
		held[pos.partition] = msg
	}
	wantNext := []uint64{1, 1, 0, 0}
	if next, err := l.Committed("g", "t"); err != nil || !slices.Equal(next, wantNext) {
		t.Fatalf("Committed = %v, %v; want %v", next, err, wantNext)
	}
	closeWithin(t, l, 5*time.Second)

	l = mustOpen(t, cfg)
	if next, err := l.Committed("g", "t"); err != nil || !slices.Equal(next, wantNext) {
		t.Fatalf("after reopen Committed = %v, %v; want %v", next, err, wantNext)
	}
	if lag, err := l.Lag("g", []string{"t"}); err != nil || lag != 3*n-2 {
		t.Fatalf("after reopen Lag = %d, %v; want %d", lag, err, 3*n-2)
	}
	ch = subscribe(t, l.Subscriber("g"), "t")
	for range n {
		msg := receive(t, ch, 5*time.Second)
		pos := positionOf(t, msg)
		if pos.offset != wantNext[pos.partition] || msg.UUID != held[pos.partition].UUID {
			t.Fatalf("after reopen partition %d delivered %s at %d, want the held %s at %d",
				pos.partition, msg.UUID, pos.offset, held[pos.partition].UUID, wantNext[pos.partition])
		}
	}
	expectNothing(t, ch, 100*time.Millisecond)
}
