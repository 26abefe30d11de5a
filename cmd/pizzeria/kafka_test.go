package main

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

func mustKfake(tb testing.TB, opts ...kfake.Opt) string {
	tb.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1)}, opts...)...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Close)
	return strings.Join(c.ListenAddrs(), ",")
}

// The whole kitchen on a Kafka-protocol broker, every role in one process,
// plus a message from the original Python services: bare JSON, key =
// order id, no headers, no pizza id.
func TestKafkaKitchenServesOrdersAndOriginalMessages(t *testing.T) {
	brokers := mustKfake(t)
	in := start(t, "serve", "--broker", "kafka", "--kafka-brokers", brokers, "--data-dir", t.TempDir(), "--kafka-partitions", "3")
	id := in.placeOrder(t, 4)
	in.awaitCompleted(t, id, 4)

	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(brokers, ",")...), kgo.ConsumeTopics("pizza-with-veggies"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	legacy := uuid.NewString()
	rec := &kgo.Record{Topic: "pizza", Key: []byte(legacy),
		Value: []byte(`{"order_id":"` + legacy + `","sauce":"","cheese":"","meats":"","veggies":""}`)}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, rec).FirstErr(); err != nil {
		t.Fatal(err)
	}
	var done map[string]string
	for done == nil {
		fetches := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatal("the original-format pizza never reached pizza-with-veggies")
		}
		fetches.EachRecord(func(r *kgo.Record) {
			if string(r.Key) == legacy {
				json.Unmarshal(r.Value, &done)
			}
		})
	}
	for _, f := range []string{"order_id", "pizza_id", "sauce", "cheese", "meats", "veggies"} {
		if done[f] == "" {
			t.Fatalf("finished original pizza lacks %s: %v", f, done)
		}
	}
	var v orderView
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		_, body := in.do(t, "GET", "/orders/"+legacy, "")
		json.Unmarshal(body, &v)
		if len(v.Pizzas) == 1 && v.Pizzas[0].Stage == "done" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("original order not in the view: %s", body)
		}
	}
	if v.Status != "in_progress" || v.Pizzas[0].PizzaID != done["pizza_id"] {
		t.Fatalf("original order view %+v, finished pizza %v", v, done)
	}
}

// On Kafka the views and the order manager's ledger record the cluster's
// id and how far its topics reached: a data dir is refused against another
// cluster, or against the same cluster whose topics were deleted and
// created again.
func TestKafkaStoresOfAnotherClusterOrOfRecreatedTopicsAreRefused(t *testing.T) {
	dir := t.TempDir()
	in := start(t, "serve", "--broker", "kafka", "--kafka-brokers", mustKfake(t, kfake.ClusterID("kitchen-a")), "--data-dir", dir)
	id := in.placeOrder(t, 2)
	in.awaitCompleted(t, id, 2)
	in.stop(t)

	serveOn := func(brokers string) string {
		t.Helper()
		code, out := runFor(t, 30*time.Second, "serve", "--broker", "kafka", "--kafka-brokers", brokers, "--data-dir", dir, "--http-addr", freeAddr(t))
		if noCrash(t, out); code == 0 {
			t.Fatalf("serve was not refused:\n%s", out)
		}
		return out
	}
	// The same cluster id, its topics empty: they were created again.
	if out := serveOn(mustKfake(t, kfake.ClusterID("kitchen-a"))); !strings.Contains(out, "shorter than what the views were built from") {
		t.Fatalf("recreated topics: want a refusal saying the log is shorter:\n%s", out)
	}
	other := mustKfake(t, kfake.ClusterID("kitchen-b"))
	if out := serveOn(other); !strings.Contains(out, "the views were built from another event log") || !strings.Contains(out, "kafka:kitchen-a") {
		t.Fatalf("another cluster: want a refusal naming the views' cluster:\n%s", out)
	}
	// Without the views, the ledger is refused too.
	if err := os.RemoveAll(viewsDirOf(dir)); err != nil {
		t.Fatal(err)
	}
	if out := serveOn(other); !strings.Contains(out, "the order manager's ledger was built from another event log") {
		t.Fatalf("another cluster, views gone: want the ledger refused:\n%s", out)
	}
}
