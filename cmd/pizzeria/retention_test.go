package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/pizzeria/pizzeria/internal/boltlog"
	"github.com/pizzeria/pizzeria/internal/deadletter"
)

// dlqTopic is the default dead-letter topic.
var dlqTopic = topics(&config{}).DeadLetters

// The embedded kitchen deletes dead letters older than
// --dead-letter-retention by itself, and keeps the younger ones.
func TestTheEmbeddedKitchenDeletesExpiredDeadLetters(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "log.db")
	l, err := boltlog.Open(boltlog.Config{Path: path, Partitions: 1})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	for i, age := range []time.Duration{30 * 24 * time.Hour, 9 * 24 * time.Hour, 8 * 24 * time.Hour, time.Hour} {
		m := message.NewMessage(fmt.Sprint("letter-", i), []byte(`{"broken":`))
		m.Metadata.Set(deadletter.MetaPoisonedAt, now.Add(-age).Format(time.RFC3339Nano))
		if err := l.Publisher().Publish(dlqTopic, m); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	in := start(t, "--data-dir", dir) // the default retention: a week
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(in.logs.String(), "deleted expired dead letters") {
		if time.Now().After(deadline) {
			t.Fatalf("no expired letter was deleted within 20s:\n%s", in.logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	in.stop(t)
	l, err = boltlog.Open(boltlog.Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var left []string
	if err := l.ReadAll(t.Context(), dlqTopic, func(m *message.Message) error {
		left = append(left, m.UUID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(left) != 1 || left[0] != "letter-3" {
		t.Fatalf("letters left: %v, want the one an hour old", left)
	}
}
