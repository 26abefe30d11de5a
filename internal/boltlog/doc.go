// Package boltlog is Pizzeria's embedded event log: a watermill Publisher and
// Subscriber over a single bbolt file, used when no Kafka cluster is configured.
//
// # Model
//
// Every topic is one partition: an append-only sequence of messages with
// dense offsets starting at 0. Append order is delivery order. Consumer groups
// keep one durable offset per (group, topic): the next offset to deliver.
// A new group starts at the oldest message.
//
// # Durability
//
// Publish returns only after its messages are committed (fsynced) in bbolt.
// All writes go through one writer goroutine that folds every request waiting
// at the time into a single bbolt transaction (group commit), so concurrent
// publishers share the two fsyncs a commit costs. The messages of one Publish
// call land in one transaction with consecutive offsets.
//
// # Delivery
//
// Delivery is at least once. Within a group and topic exactly one message is
// in flight at a time, shared by every Subscribe call on that pair in the
// process (competing consumers): the next message is handed out only after
// the previous one is acked. A nacked message is redelivered after
// Config.NackDelay. An ack moves the group's position at once in memory; the
// writer makes it durable with the next append's transaction, or on its own
// after Config.OffsetCommitInterval, and Close flushes it. A message that was
// delivered but not acked before a crash or Close is delivered again after
// the next Open; after a crash, so may messages acked in the last interval.
//
// Subscribers wait on a notification raised by the writer after each commit;
// nothing polls. Memory use depends on the number of topics and groups, never
// on the length of the log: messages are read from bbolt in small chunks.
//
// # Files
//
// bbolt locks its file for the opening process, so open one Log per file and
// share it; Open fails after Config.OpenTimeout if another process holds it.
package boltlog
