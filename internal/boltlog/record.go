package boltlog

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
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

// A record is one stored message inside a batch (see batch.go):
//
//	value    uuid
//	uvarint  number of metadata entries, then per entry sorted by key:
//	         uvarint len(key), key, value
//	rest     payload
//
// A value is a tag byte and its data:
//
//	0  uvarint len, bytes    any string
//	1  16 bytes              a UUID in canonical lower-case text form
//	2  (nothing)             the same string as the message's uuid
//
// The typed forms only shorten what round-trips byte for byte: a string is
// stored as a UUID only if formatting the 16 bytes gives it back exactly.
const (
	valueString byte = iota
	valueUUID
	valueSameAsUUID
)

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

// encodeRecord appends msg to dst.
func encodeRecord(dst []byte, msg *message.Message) []byte {
	keys := make([]string, 0, len(msg.Metadata))
	for k := range msg.Metadata {
		if !isReceiveSide(k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)

	dst = appendValue(dst, msg.UUID, "")
	dst = binary.AppendUvarint(dst, uint64(len(keys)))
	for _, k := range keys {
		dst = appendString(dst, k)
		dst = appendValue(dst, msg.Metadata[k], msg.UUID)
	}
	return append(dst, msg.Payload...)
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// appendValue appends s in its shortest exact form; same is the message's
// uuid, or "" while encoding the uuid itself.
func appendValue(dst []byte, s, same string) []byte {
	if same != "" && s == same {
		return append(dst, valueSameAsUUID)
	}
	if u, ok := parseUUID(s); ok {
		dst = append(dst, valueUUID)
		return append(dst, u[:]...)
	}
	dst = append(dst, valueString)
	return appendString(dst, s)
}

// parseUUID reads a UUID in canonical lower-case form
// (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx), and nothing else.
func parseUUID(s string) (u [16]byte, ok bool) {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, false
	}
	j := 0
	for i := 0; i < 36; {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			i++
			continue
		}
		hi, lo := unhex(s[i]), unhex(s[i+1])
		if hi < 0 || lo < 0 {
			return u, false
		}
		u[j] = byte(hi<<4 | lo)
		j++
		i += 2
	}
	return u, true
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	}
	return -1 // upper case would not round-trip
}

func formatUUID(u []byte) string {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}

// decodeRecord copies a stored message out of b, which may be memory owned
// by a bbolt transaction.
func decodeRecord(b []byte) (record, error) {
	r := reader{buf: b}
	rec := record{uuid: r.value("")}
	n := r.uvarint()
	if n > uint64(len(r.buf)) { // every entry takes at least two bytes
		return record{}, fmt.Errorf("%w: metadata count %d", ErrCorruptRecord, n)
	}
	rec.metadata = make(message.Metadata, n)
	for range n {
		k := r.string()
		rec.metadata[k] = r.value(rec.uuid)
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

func (r *reader) value(same string) string {
	if r.err || len(r.buf) == 0 {
		r.err = true
		return ""
	}
	tag := r.buf[0]
	r.buf = r.buf[1:]
	switch tag {
	case valueString:
		return r.string()
	case valueUUID:
		if len(r.buf) < 16 {
			r.err = true
			return ""
		}
		s := formatUUID(r.buf[:16])
		r.buf = r.buf[16:]
		return s
	case valueSameAsUUID:
		return same
	}
	r.err = true
	return ""
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
