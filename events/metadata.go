package events

// Metadata keys carried by every event this service writes. On Kafka they are
// record headers; on the embedded log they are stored beside the payload.
// Messages written by the original Python services carry none of them, so
// readers must be able to derive what they need from topic and payload.
const (
	MetaEventID       = "event_id"
	MetaEventType     = "event_type"
	MetaSchemaVersion = "schema_version"
	MetaOccurredAt    = "occurred_at"
	MetaCorrelationID = "correlation_id"
	MetaCausationID   = "causation_id"
	// MetaOrderCount rides along with every pizza event so that whoever sees a
	// finished pizza can tell when its order is whole without a join.
	MetaOrderCount = "order_count"
)

// Receive-side metadata. Transports set these on each message they deliver so
// handlers can derive stable identities for header-less messages and the
// dead-letter queue can say where a poison message came from. They are never
// written to the wire.
const (
	MetaReceivedPartition = "received_partition"
	MetaReceivedOffset    = "received_offset"
)
