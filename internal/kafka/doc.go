// Package kafka is Pizzeria's Kafka transport: a watermill Publisher over
// sarama, a watermill Subscriber over franz-go's consumer group, and the few
// cluster operations the composition root needs (topic creation,
// reachability, consumer lag, replay reads).
//
// # Why its own subscriber
//
// watermill-kafka's subscriber hands out the next message of a partition
// only after the previous one is acked (watermill issue #374; a batched
// consumption model was proposed there and never merged). Pizzeria keys
// records by order id, so the pizzas of one order crossed every stage one
// after another, each waiting for the previous one's produce round trip,
// and more partitions bought throughput with latency. This package keeps
// watermill-kafka's marshaling and watermill's conformance suite, and
// replaces the subscriber.
//
// # The model: commit the longest acked prefix
//
// A subscription hands out, in offset order, the messages of a partition
// that lie within Config.Window (512 by default) of its first message not
// yet acked, for the consumer to handle concurrently. A partition's committed
// offset is the end of its longest fully-acked prefix, the model of
// Confluent's parallel consumer: a message acked early is remembered until
// every message before it is acked too. Commits are grouped, one request for
// all advanced partitions every Config.CommitInterval, when partitions are
// revoked and when a subscription stops, never a round trip per message.
// This model keeps the watermill message.Subscriber contract (one message,
// one ack), so the conformance suite applies unchanged; batching sits above
// it, in the consumer (the kitchen's internal/pipeline takes every
// delivered message at once and publishes their outputs in one call), so
// positions still follow acks and no handler has to know about offsets.
//
// A nacked message comes back after a short delay while the rest of its
// partition keeps flowing; the committed offset never passes it. A
// partition holding about twice its window of fetched records stops
// fetching until acks free room, so memory is bounded by the window.
//
// Delivery guarantees:
//   - Publish returns nil only after every in-sync replica has the message
//     (acks=all). The producer is idempotent, so sarama's internal retries never
//     write a message twice, and messages with the same key (Config.PartitionKey;
//     Pizzeria uses the correlation id) keep their order on one partition.
//     Concurrent Publish calls share produce requests. A Publish that returns an
//     error may still have written the message: callers that retry get
//     at-least-once delivery, and readers deduplicate by event id.
//   - Subscribers deliver at least once. A crash, a rebalance or a lost
//     cluster redelivers what was handled after the last commit; an ack
//     arriving after its partition was revoked is dropped, and the new owner
//     handles the message again. With Window > 1 messages of one partition
//     are handled concurrently and may complete, and be redelivered, out of
//     order; Window = 1 gives one message in flight per partition, in offset
//     order.
//   - New groups start at the oldest offset. With Config.InstanceID set,
//     members are static (KIP-345): a restarted process takes its partitions
//     back without a rebalance, provided it returns within the session
//     timeout. Each replica needs its own instance id.
//   - When the cluster goes away, subscribers wait and resume by themselves.
//   - ReadAll reads a snapshot: every record below the high-water marks taken
//     when it starts, partition by partition, in offset order.
//
// Only the composition root should import this package; everything else codes
// against watermill's message.Publisher and message.Subscriber.
package kafka
