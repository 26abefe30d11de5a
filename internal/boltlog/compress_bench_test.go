package boltlog

import (
	"fmt"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"
)

// realisticBody is the body of a batch of 128 CheeseAdded events of one
// order as the kitchen writes them.
func realisticBody() []byte {
	var body []byte
	order := uuid.NewString()
	at := time.Now()
	for i := range foldRecords {
		p := uuid.NewString()
		m := message.NewMessage(uuid.NewString(), []byte(fmt.Sprintf(`{"order_id":%q,"pizza_id":%q,"sauce":"regular","cheese":"extra","meats":"pepperoni","veggies":""}`, order, p)))
		m.Metadata.Set("event_id", m.UUID)
		m.Metadata.Set("event_type", "CheeseAdded")
		m.Metadata.Set("schema_version", "1")
		m.Metadata.Set("occurred_at", at.Add(time.Duration(i)*time.Microsecond*37).UTC().Format(time.RFC3339Nano))
		m.Metadata.Set("correlation_id", order)
		m.Metadata.Set("causation_id", uuid.NewString())
		m.Metadata.Set("order_count", "100")
		body = appendBody(body, encodeRecord(nil, m))
	}
	return body
}

// BenchmarkCompressBatch folds a realistic partition end (128 pizza events
// of one order, with their headers) into a compressed batch, as the writer
// does inside a commit.
func BenchmarkCompressBatch(b *testing.B) {
	body := realisticBody()
	key := offsetKey(0)
	var size int
	for b.Loop() {
		size = len(encodeBatch(key, foldRecords, body, true))
	}
	b.ReportMetric(float64(size)/foldRecords, "stored-B/record")
	b.ReportMetric(float64(len(body))/foldRecords, "raw-B/record")
}
