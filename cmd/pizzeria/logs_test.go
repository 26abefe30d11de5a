package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/pizzeria/pizzeria/events"
	"github.com/pizzeria/pizzeria/internal/testkit"
)

// TestLogLinesNameTheOrderAndTheEvent: at debug level every handled
// message is logged with its order, event and position in the log; a
// dead-lettered message is logged once per handler that gave up on it, at
// warn, with its reason, and counted by reason.
func TestLogLinesNameTheOrderAndTheEvent(t *testing.T) {
	logs := &testkit.Buffer{}
	cfg := testConfig(t)
	cfg.LogLevel = "debug"
	cfg.LogFormat = "json"
	ctx, cancel := context.WithCancel(context.Background())
	p, err := build(ctx, &cfg, allRoles(), slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	s, err := p.start(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); s.stop(10 * time.Second); p.Close() }()
	base := "http://" + s.addr

	id := placeOrder(t, base, 2)
	resp, err := http.Get(base + "/orders/" + id + "?wait=20s")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	poison := message.NewMessage("poison-1", []byte(`{"order_id":`))
	poison.Metadata.Set(events.MetaCorrelationID, "poisoned-order")
	if err := p.kitchen.t.Publisher().Publish(events.DefaultTopics().Pizza, poison); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(scrape(t, base), `pizzeria_dead_letters_total{reason="invalid_event"} 2`) {
		if time.Now().After(deadline) {
			t.Fatalf("the poison message was not dead-lettered by both its readers:\n%s", grepLines(scrape(t, base), "pizzeria_dead_letters"))
		}
		time.Sleep(20 * time.Millisecond)
	}

	handled, dead := 0, map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var l map[string]any
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		switch l["msg"] {
		case "message handled":
			if l["order_id"] != id {
				continue
			}
			handled++
			for _, k := range []string{"event_id", "topic", "partition", "offset", "handler"} {
				if s, _ := l[k].(string); s == "" {
					t.Errorf("handled line lacks %s: %s", k, line)
				}
			}
		case "message sent to the dead-letter topic":
			dead[l["handler"].(string)]++
			if l["level"] != "WARN" || l["order_id"] != "poisoned-order" || l["topic"] != "pizza" ||
				l["reason_class"] != "invalid_event" || l["reason"] == "" || l["offset"] == "" || l["partition"] == "" {
				t.Errorf("dead-letter line: %s", line)
			}
		}
	}
	// OrderPlaced, 2 PizzaOrdered and 4 stages each, OrderCompleted: read by
	// the kitchen and by the views.
	if handled < 10 {
		t.Errorf("only %d handled lines name the order", handled)
	}
	if len(dead) != 2 {
		t.Errorf("dead-letter lines by handler: %v; want one for the sauce stage and one for the views", dead)
	}
	for h, n := range dead {
		if n != 1 {
			t.Errorf("%s logged its dead letter %d times", h, n)
		}
	}
}

// grepLines keeps the lines of s that start with prefix.
func grepLines(s, prefix string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
