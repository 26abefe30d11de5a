// Package boltlog is Pizzeria's embedded event log: a watermill Publisher and
// Subscriber over a single bbolt file, used when no Kafka cluster is configured.
//
// # Model
//
// A topic is a fixed number of partitions, each an append-only sequence of
// messages with dense offsets starting at 0. A topic gets its partition
// count (Config.Partitions, or Config.PartitionsFor for that topic) when it
// is first written, and the count is stored with it: reopening with another
// setting never reshuffles an existing topic.
//
// A message goes to the partition that the 32-bit FNV-1a hash of its
// correlation_id metadata selects, modulo the topic's partition count;
// messages without a correlation_id go to partition 0. So all events of one
// order share a partition and are delivered in the order they were
// appended. There is no order across partitions: events of different orders
// may be delivered in another order than they were appended.
//
// Consumer groups keep one durable offset per (group, topic, partition): the
// next offset to deliver. A new group starts at the oldest message of every
// partition. Delivered messages carry received_partition and
// received_offset metadata.
//
// # Durability
//
// Publish returns only after its messages are committed (fsynced) in bbolt.
// All writes go through one writer goroutine that folds every request waiting
// at the time into a single bbolt transaction (group commit), so concurrent
// publishers share the two fsyncs a commit costs. The messages of one Publish
// call land in one transaction; those that share a partition get
// consecutive offsets in it.
//
// # Delivery
//
// Delivery is at least once. A subscription delivers from every partition of
// its topic. Within a group and partition exactly one message is in flight
// at a time, shared by every Subscribe call on that group and topic in the
// process (competing consumers): a partition's next message is handed out
// only after the previous one is acked. A topic with N partitions thus has
// up to N messages in flight per group, which lets a handler that publishes
// share group commits with its neighbours. A nacked message is redelivered
// after Config.NackDelay, holding up its partition only. An ack moves the
// group's position at once in memory; the writer makes it durable with the
// next append's transaction, or on its own after Config.OffsetCommitInterval,
// and Close flushes it. A message that was delivered but not acked before a
// crash or Close is delivered again after the next Open; after a crash, so
// may messages acked in the last interval.
//
// Subscribers wait on a notification raised by the writer after each commit
// to their partition; nothing polls. Memory use depends on the number of
// groups and partitions, never on the length of the log: messages are read
// from bbolt in small chunks of at most Config.ReadAhead per partition.
//
// # Reading
//
// ReadAll reads a snapshot of a topic, partition by partition; Count,
// EndOffsets, Committed and Lag report sizes and positions, per partition or
// summed.
//
// # Files
//
// bbolt locks its file for the opening process, so open one Log per file and
// share it; Open fails after Config.OpenTimeout if another process holds it.
package boltlog
