package deadletter

// Metadata a dead letter carries: the keys of watermill's poison queue
// (reason_poisoned, topic_poisoned, handler_poisoned, subscriber_poisoned),
// so that letters written by either read the same, and where the message
// was read from.
const (
	MetaSourcePartition = "partition_poisoned"
	MetaSourceOffset    = "offset_poisoned"
	// MetaPoisonedAt is when the message failed (RFC 3339): the age
	// retention goes by.
	MetaPoisonedAt = "poisoned_at"
	metaReason     = "reason_poisoned"
	metaTopic      = "topic_poisoned"
	metaHandler    = "handler_poisoned"
	metaSubscriber = "subscriber_poisoned"
)
