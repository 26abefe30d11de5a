package kafka

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
)

// publishN publishes n events of one order (one partition), e00, e01, ...
func publishN(t *testing.T, cfg Config, topic string, n int) {
	t.Helper()
	var msgs []*message.Message
	for i := range n {
		msgs = append(msgs, event(fmt.Sprintf("e%02d", i), "order-1"))
	}
	if err := mustPublisher(t, cfg).Publish(topic, msgs...); err != nil {
		t.Fatalf("Publish: %v", err)
	}
}

// take reads n messages from ch without acking them.
func take(t *testing.T, ch <-chan *message.Message, n int) []*message.Message {
	t.Helper()
	var got []*message.Message
	timeout := time.After(30 * time.Second)
	for len(got) < n {
		select {
		case msg, ok := <-ch:
			if !ok {
				t.Fatalf("channel closed after %d of %d messages", len(got), n)
			}
			got = append(got, msg)
		case <-timeout:
			t.Fatalf("received %d of %d messages", len(got), n)
		}
	}
	return got
}

// Many messages of one partition are out at once; acked out of order, the
// committed offset is the end of the acked prefix, and after a restart
// delivery resumes at the first message not acked.
func TestCommitIsLongestAckedPrefix(t *testing.T) {
	_, cfg := mustCluster(t)
	cfg.Partitions = 1
	ctx := testCtx(t, time.Minute)
	topic := newTopic(t, ctx, cfg)
	publishN(t, cfg, topic, 10)

	sub, ch := mustSubscribe(t, cfg, "prefix", topic)
	msgs := take(t, ch, 10) // all ten in flight at once
	for _, i := range []int{9, 7, 1, 0, 2, 4, 5, 6, 8} {
		msgs[i].Ack() // all but e03
	}
	waitLag(t, ctx, cfg, "prefix", topic, 7)
	time.Sleep(3 * cfg.CommitInterval) // later commits must not pass e03 either
	if err := sub.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	waitLag(t, ctx, cfg, "prefix", topic, 7)

	_, ch = mustSubscribe(t, cfg, "prefix", topic)
	var ids []string
	for _, m := range receive(t, ch, 7, 30*time.Second) {
		ids = append(ids, m.UUID)
	}
	if want := []string{"e03", "e04", "e05", "e06", "e07", "e08", "e09"}; !slices.Equal(ids, want) {
		t.Errorf("after restart got %v, want %v", ids, want)
	}
}

// A nacked message comes back later; its partition's other messages are
// handed out meanwhile, and the commit stays below the nacked one.
func TestNackRedeliversWithoutBlockingThePartition(t *testing.T) {
	_, cfg := mustCluster(t)
	cfg.Partitions = 1
	ctx := testCtx(t, time.Minute)
	topic := newTopic(t, ctx, cfg)
	publishN(t, cfg, topic, 5)

	_, ch := mustSubscribe(t, cfg, "nack", topic)
	first := take(t, ch, 1)[0]
	if first.UUID != "e00" {
		t.Fatalf("first message %s, want e00", first.UUID)
	}
	first.Nack()
	var ids []string
	for _, m := range receive(t, ch, 4, 30*time.Second) {
		ids = append(ids, m.UUID)
	}
	if want := []string{"e01", "e02", "e03", "e04"}; !slices.Equal(ids, want) {
		t.Fatalf("after the nack got %v, want %v", ids, want)
	}
	time.Sleep(3 * DefaultCommitInterval)
	if lag, err := Lag(ctx, cfg, "nack", []string{topic}); err != nil || lag != 5 {
		t.Fatalf("lag while e00 is pending = %d (%v), want 5: the commit passed a nacked message", lag, err)
	}
	if again := receive(t, ch, 1, 30*time.Second)[0]; again.UUID != "e00" {
		t.Fatalf("redelivered %s, want e00", again.UUID)
	}
	waitLag(t, ctx, cfg, "nack", topic, 0)
}

// With static membership, a member that closes and comes back with the
// same instance id gets its partitions back, and the other member never
// takes them over meanwhile. With dynamic membership the other member
// would get them as soon as the first left the group.
func TestStaticMemberTakesItsPartitionsBack(t *testing.T) {
	_, cfg := mustCluster(t)
	cfg.Partitions = 4
	ctx := testCtx(t, 2*time.Minute)
	topic := newTopic(t, ctx, cfg)
	pub := mustPublisher(t, cfg)
	publishAll := func(prefix string) {
		for i := range 40 {
			if err := pub.Publish(topic, event(fmt.Sprintf("%s%02d", prefix, i), fmt.Sprintf("order-%d", i))); err != nil {
				t.Fatalf("Publish: %v", err)
			}
		}
	}
	member := func(id string) Config { c := cfg; c.InstanceID = id; return c }

	subA, err := NewSubscriber(member("a"), "static")
	if err != nil {
		t.Fatal(err)
	}
	chA, err := subA.Subscribe(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	_, chB := mustSubscribe(t, member("b"), "static", topic)

	// Publish and read until, within one round, both members held
	// partitions and none moved between them.
	var ownedA, ownedB map[int32]bool
	settled := func() bool {
		for p := range ownedA {
			if ownedB[p] {
				return false
			}
		}
		return len(ownedA) > 0 && len(ownedB) > 0
	}
	for round := 0; round == 0 || !settled(); round++ {
		if round == 20 {
			t.Fatalf("members never both held partitions: a %v, b %v", ownedA, ownedB)
		}
		ownedA, ownedB = map[int32]bool{}, map[int32]bool{}
		publishAll(fmt.Sprintf("warm%d-", round))
		deadline := time.After(2 * time.Second)
	drain:
		for {
			select {
			case m := <-chA:
				m.Ack()
				ownedA[partitionOf(t, m)] = true
			case m := <-chB:
				m.Ack()
				ownedB[partitionOf(t, m)] = true
			case <-deadline:
				break drain
			}
		}
	}
	if err := subA.Close(); err != nil {
		t.Fatalf("Close a: %v", err)
	}
	publishAll("gap-")
	// Give a dynamic group ample time to move a's partitions to b.
	gotB := map[string]int32{}
	wait := time.After(5 * time.Second)
collect:
	for {
		select {
		case m := <-chB:
			m.Ack()
			gotB[m.UUID] = partitionOf(t, m)
		case <-wait:
			break collect
		}
	}
	for id, p := range gotB {
		if ownedA[p] {
			t.Errorf("b received %s of a's partition %d while a was away", id, p)
		}
	}

	_, chA = mustSubscribe(t, member("a"), "static", topic)
	for _, m := range receive(t, chA, 40-len(gotB), 30*time.Second) {
		if !ownedA[partitionOf(t, m)] {
			t.Errorf("restarted a received %s of partition %d, which was b's", m.UUID, partitionOf(t, m))
		}
	}
}

// Close with messages handed out and not acked: the channel closes, acks
// made before Close are committed, the rest come back, and acking after
// Close is harmless.
func TestCloseWithMessagesInFlight(t *testing.T) {
	_, cfg := mustCluster(t)
	cfg.Partitions = 1
	cfg.CommitInterval = time.Hour // only Close commits
	ctx := testCtx(t, time.Minute)
	topic := newTopic(t, ctx, cfg)
	publishN(t, cfg, topic, 20)

	sub, ch := mustSubscribe(t, cfg, "close", topic)
	msgs := take(t, ch, 10)
	for _, m := range msgs[:4] {
		m.Ack()
	}
	if err := sub.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for range ch { // a message may have been on its way; then it closes
	}
	for _, m := range msgs[4:] {
		m.Ack()
	}
	waitLag(t, ctx, cfg, "close", topic, 16)

	_, ch = mustSubscribe(t, cfg, "close", topic)
	if first := receive(t, ch, 1, 30*time.Second)[0]; first.UUID != "e04" {
		t.Errorf("after restart first message %s, want e04", first.UUID)
	}
}

// A handler still finishing when its subscriber closes gets its ack
// committed: Close waits a moment for messages in flight.
func TestCloseCommitsAcksOfHandlersStillFinishing(t *testing.T) {
	_, cfg := mustCluster(t)
	cfg.Partitions = 1
	cfg.CommitInterval = time.Hour // only Close commits
	ctx := testCtx(t, time.Minute)
	topic := newTopic(t, ctx, cfg)
	publishN(t, cfg, topic, 3)

	sub, ch := mustSubscribe(t, cfg, "finishing", topic)
	msgs := take(t, ch, 3)
	go func() {
		for _, m := range msgs {
			time.Sleep(10 * time.Millisecond) // still handling when Close begins
			m.Ack()
		}
	}()
	if err := sub.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	waitLag(t, ctx, cfg, "finishing", topic, 0)
}
