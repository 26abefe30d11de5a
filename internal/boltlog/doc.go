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
// partition key (Config.PartitionKey; Pizzeria passes the correlation id)
// selects, modulo the topic's partition count; messages without a key go to
// partition 0. So all events of one order share a partition and are stored
// in the order they were appended. There is no order across partitions.
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
// its topic. Within a group, a partition's messages are handed out in offset
// order without waiting for acks, up to Config.MaxInFlight un-acked ones
// counted from the group's committed position. Every Subscribe call on that
// group and topic in the process draws from the same window (competing
// consumers), and an offset is with one of them at a time.
//
// The committed position is the end of the longest fully-acked prefix, as in
// Confluent's parallel consumer: acks may arrive in any order, and the
// position moves only over offsets that are all acked. A nacked message is
// handed out again after Config.NackDelay, behind its successors, which go
// on meanwhile; the position never passes it. Verdicts are taken in
// delivery order, one goroutine per partition: a nack behind a message still
// undecided takes effect once that one is decided. A message whose subscription
// ends before its verdict is handed out again at once to the next
// subscription.
//
// Why this model: an event pipeline spends most of its time waiting for the
// fsync of what a handler publishes. With one message in flight per
// partition each hop of an order costs a commit, one after another; with
// many in flight the handlers of one partition publish concurrently and
// share the writer's group commits. The prefix model keeps watermill's
// Subscriber contract (one message, one ack) and bounds the redelivery
// after a crash to the window; batching sits above it, in the consumer
// (the kitchen's internal/pipeline takes every delivered message at once
// and publishes their outputs in one call), so positions still follow acks
// and no handler has to know about offsets.
//
// The price is order: with MaxInFlight above 1 a consumer sees later
// messages of a partition before it has acked earlier ones, and a nacked
// message comes back after its successors. Delivered messages carry
// received_partition and received_offset metadata naming their exact
// stored position; consumers that must apply a partition in order (or skip
// what they have applied) use it. MaxInFlight = 1 gives the strict model: one
// message per group and partition at a time, in order even across nacks.
//
// An ack moves the group's position at once in memory; the writer makes it
// durable with the next append's transaction, or on its own after
// Config.OffsetCommitInterval, and Close flushes it. After a crash or Close
// every message from the committed position on is delivered again,
// including ones acked beyond the first un-acked; after a crash, so may
// messages acked in the last interval.
//
// Subscribers wait on a notification raised by the writer after each commit
// to their partition; nothing polls. Memory use depends on the number of
// groups and partitions, never on the length of the log: messages are read
// from bbolt in small chunks of at most Config.ReadAhead per partition, and a
// group holds at most Config.MaxInFlight delivered messages per partition.
//
// # Reading
//
// ReadAll reads a snapshot of a topic, partition by partition; Count,
// EndOffsets, Committed and Lag report sizes and positions, per partition or
// summed.
//
// # Retention
//
// A log keeps everything unless told otherwise. DeleteBefore deletes a
// partition's records below an offset, as Kafka's DeleteRecords: the
// partition's start offset moves up, offsets are never reused and its end
// stays. Readers and consumer groups below the start go on from it (see
// retention.go). Pizzeria uses it for dead letters only.
//
// # Storage and damage
//
// Records are stored in batches (see batch.go): what a commit appends to a
// partition as one-record batches, folded into zstd-compressed batches of
// 128 once that many sit at the partition's end, in the same transaction.
// Metadata is binary, with UUIDs in 16 bytes. A realistic pizza (its five
// events and its share of the order's two) takes about 430-530 bytes of
// log, against about 3,250 in the previous layout.
//
// Every batch carries a CRC-32C over its key and bytes, checked whenever it
// is read. A damaged batch is never delivered: the read fails with
// ErrCorruptRecord naming the file, topic, partition and offset, and a
// subscription keeps retrying and logging it. A file bbolt cannot read (a
// truncated one, garbage in its pages) gives ErrCorruptFile, never a crash:
// Open checks the meta and freelist pages before bbolt maps the file, and
// panics and memory faults inside bbolt transactions are turned into
// errors. Check verifies a whole file for an offline check command.
//
// bbolt writes its freelist with every commit, so Open reads a few pages
// instead of the whole file: start-up time and resident memory after Open
// do not grow with the log. Pages read later (by a replay, or by
// subscriptions reading the tail) stay mapped and count in RSS until the
// kernel reclaims them.
//
// # Files
//
// bbolt locks its file for the opening process, so open one Log per file and
// share it; Open fails after Config.OpenTimeout if another process holds it.
package boltlog
