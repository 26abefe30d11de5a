package boltlog

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"

	"github.com/ThreeDotsLabs/watermill/message"
)

// Metadata the log sets on every delivered or read message: the partition
// and offset it was stored at. They are never stored.
const (
	MetaReceivedPartition = "received_partition"
	MetaReceivedOffset    = "received_offset"
)

// recordV1 is the first (and current) stored message format:
//
//	byte     version (1)
//	uvarint  len(uuid), uuid
//	uvarint  number of metadata entries, then per entry sorted by key:
//	         uvarint len(key), key, uvarint len(value), value
//	rest     payload
//
// A record is immutable once written; a new layout gets a new version byte
// and decodeRecord keeps reading the old ones.
const recordV1 byte = 1

// record is a decoded stored message, owning all of its memory.
type record struct {
	uuid     string
	metadata message.Metadata
	payload  []byte
}

// isReceiveSide reports metadata the log sets on delivery; it is never stored.
func isReceiveSide(key string) bool {
	return key == MetaReceivedPartition || key == MetaReceivedOffset
}

// encodeRecord appends msg in the current format to dst.
func encodeRecord(dst []byte, msg *message.Message) []byte {
	keys := make([]string, 0, len(msg.Metadata))
	for k := range msg.Metadata {
		if !isReceiveSide(k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)

	dst = append(dst, recordV1)
	dst = appendString(dst, msg.UUID)
	dst = binary.AppendUvarint(dst, uint64(len(keys)))
	for _, k := range keys {
		dst = appendString(dst, k)
		dst = appendString(dst, msg.Metadata[k])
	}
	return append(dst, msg.Payload...)
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// decodeRecord copies a stored message out of b, which may be memory owned
// by a bbolt transaction.
func decodeRecord(b []byte) (record, error) {
	if len(b) == 0 {
		return record{}, fmt.Errorf("%w: empty", ErrCorruptRecord)
	}
	if b[0] != recordV1 {
		return record{}, fmt.Errorf("%w: unknown version %d", ErrCorruptRecord, b[0])
	}
	r := reader{buf: b[1:]}
	rec := record{uuid: r.string()}
	n := r.uvarint()
	if n > uint64(len(r.buf)) { // every entry takes at least two bytes
		return record{}, fmt.Errorf("%w: metadata count %d", ErrCorruptRecord, n)
	}
	rec.metadata = make(message.Metadata, n)
	for range n {
		k := r.string()
		rec.metadata[k] = r.string()
	}
	if r.err {
		return record{}, fmt.Errorf("%w: truncated", ErrCorruptRecord)
	}
	rec.payload = bytes.Clone(r.buf)
	if rec.payload == nil {
		rec.payload = []byte{}
	}
	return rec, nil
}

// reader consumes length-prefixed fields; err sticks after the first fault.
type reader struct {
	buf []byte
	err bool
}

func (r *reader) uvarint() uint64 {
	if r.err {
		return 0
	}
	v, n := binary.Uvarint(r.buf)
	if n <= 0 {
		r.err = true
		return 0
	}
	r.buf = r.buf[n:]
	return v
}

func (r *reader) string() string {
	n := r.uvarint()
	if r.err || n > uint64(len(r.buf)) {
		r.err = true
		return ""
	}
	s := string(r.buf[:n])
	r.buf = r.buf[n:]
	return s
}

// message builds a fresh watermill message for one delivery of rec at offset
// of partition. Each delivery gets its own copy, so a handler that mutates a
// message cannot change what a redelivery sees.
func (rec record) message(partition int, offset uint64) *message.Message {
	md := make(message.Metadata, len(rec.metadata)+2)
	for k, v := range rec.metadata {
		md[k] = v
	}
	md[MetaReceivedPartition] = strconv.Itoa(partition)
	md[MetaReceivedOffset] = strconv.FormatUint(offset, 10)
	msg := message.NewMessage(rec.uuid, bytes.Clone(rec.payload))
	msg.Metadata = md
	return msg
}
