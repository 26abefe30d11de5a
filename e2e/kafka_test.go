//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"hash/crc32"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// kafkaBrokers is the bootstrap address of the broker under test.
func kafkaBrokers() string {
	if b := os.Getenv("PIZZERIA_E2E_KAFKA"); b != "" {
		return b
	}
	return "127.0.0.1:19092"
}

// requireKafka fails (never skips) the test when the broker is unreachable.
func requireKafka(t testing.TB) {
	t.Helper()
	cl := rawClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := cl.Ping(ctx); err != nil {
		t.Fatalf("Kafka is not reachable at %s (%v): start it with `make kafka-up`, or point PIZZERIA_E2E_KAFKA at a broker", kafkaBrokers(), err)
	}
}

// rawClient is a plain Kafka client, closed with the test. Records it
// produces are partitioned like the original services partition them (the
// CRC-32 of the key, as librdkafka's default does) and carry no headers
// unless the caller adds some.
func rawClient(t testing.TB, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	base := []kgo.Opt{
		kgo.SeedBrokers(kafkaBrokers()),
		kgo.DialTimeout(5 * time.Second),
		kgo.RecordPartitioner(kgo.StickyKeyPartitioner(func(key []byte, n int) int {
			return int(crc32.ChecksumIEEE(key) % uint32(n))
		})),
		kgo.ProducerBatchMaxBytes(1 << 20),
		kgo.RecordRetries(3),
	}
	cl, err := kgo.NewClient(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// produce writes one record and returns it with its partition and offset.
func produce(t testing.TB, cl *kgo.Client, topic, key string, value []byte, headers map[string]string) *kgo.Record {
	t.Helper()
	r := &kgo.Record{Topic: topic, Key: []byte(key), Value: value}
	for k, v := range headers {
		r.Headers = append(r.Headers, kgo.RecordHeader{Key: k, Value: []byte(v)})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	out, err := cl.ProduceSync(ctx, r).First()
	if err != nil {
		t.Fatalf("produce to %s: %v", topic, err)
	}
	return out
}

// readTopic reads every record of topic from the oldest to the end as of
// the call.
func readTopic(ctx context.Context, t testing.TB, topic string) []*kgo.Record {
	t.Helper()
	ends, err := endOffsets(ctx, rawClient(t), topic)
	if err != nil {
		t.Fatalf("end offsets of %s: %v", topic, err)
	}
	starts := map[int32]kgo.Offset{}
	left := 0
	for p, end := range ends {
		if end > 0 {
			starts[p] = kgo.NewOffset().AtStart()
			left++
		}
	}
	if left == 0 {
		return nil
	}
	cl := rawClient(t, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: starts}), kgo.FetchMaxPartitionBytes(4<<20))
	var out []*kgo.Record
	for left > 0 {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("reading %s: %v (%d records read, %d partitions unfinished)", topic, err, len(out), left)
		}
		fs.EachError(func(topic string, p int32, err error) { t.Logf("fetch %s/%d: %v", topic, p, err) })
		fs.EachRecord(func(r *kgo.Record) {
			if r.Offset >= ends[r.Partition] {
				return
			}
			out = append(out, r)
			if r.Offset == ends[r.Partition]-1 {
				left--
			}
		})
	}
	return out
}

// endOffsets returns the high watermark of every partition of topic.
func endOffsets(ctx context.Context, cl *kgo.Client, topic string) (map[int32]int64, error) {
	meta := kmsg.NewPtrMetadataRequest()
	mt := kmsg.NewMetadataRequestTopic()
	mt.Topic = kmsg.StringPtr(topic)
	meta.Topics = append(meta.Topics, mt)
	mresp, err := meta.RequestWith(ctx, cl)
	if err != nil {
		return nil, err
	}
	if len(mresp.Topics) != 1 || mresp.Topics[0].ErrorCode != 0 {
		return nil, fmt.Errorf("no metadata for topic %s", topic)
	}
	req := kmsg.NewPtrListOffsetsRequest()
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	for _, p := range mresp.Topics[0].Partitions {
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition = p.Partition
		rp.Timestamp = -1 // latest
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, err
	}
	ends := map[int32]int64{}
	for _, tp := range resp.Topics {
		for _, p := range tp.Partitions {
			if p.ErrorCode != 0 {
				return nil, fmt.Errorf("list offsets %s/%d: error code %d", topic, p.Partition, p.ErrorCode)
			}
			ends[p.Partition] = p.Offset
		}
	}
	return ends, nil
}

// kafkaCtl runs scripts/kafka/kafka.sh with args (stop, start, status) for
// the broker under test.
func kafkaCtl(ctx context.Context, args ...string) (string, error) {
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "..", "scripts", "kafka", "kafka.sh")
	cmd := exec.CommandContext(ctx, script, args...)
	if _, port, err := net.SplitHostPort(kafkaBrokers()); err == nil {
		cmd.Env = append(os.Environ(), "KAFKA_PORT="+port)
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}
