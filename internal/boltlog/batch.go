package boltlog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/klauspost/compress/zstd"
)

// A batch is the stored value under a partition key: one or more records
// at consecutive offsets starting at the key's offset, as in Kafka's record
// batches.
//
//	byte     batchV1
//	4 bytes  CRC-32C (Castagnoli), big endian, over the 8-byte key and
//	         every byte after this field
//	byte     codec: codecNone or codecZstd
//	uvarint  number of records
//	uvarint  length of the body before compression
//	rest     body, compressed by codec: per record uvarint len, record
//
// The writer stores what one transaction appends to a partition as batches
// of one uncompressed record each ("loose" records, cheap to write and to
// read at the tail), and folds the loose records at a partition's end into
// one compressed batch once there are foldRecords of them, in the same
// transaction. Records of one order at one stage repeat most of their
// bytes, which is what zstd takes out; a commit rarely holds more than a few
// records of one partition, too few to compress on their own.
const batchV1 byte = 0xb1

const (
	codecNone byte = 0
	codecZstd byte = 1
)

const (
	// foldRecords is how many loose records at a partition's end are
	// folded into one compressed batch.
	foldRecords = 128
	// foldBytes caps the uncompressed body of one folded batch, so that
	// reading one offset never inflates more than this. A record this
	// large or larger stays loose.
	foldBytes = 1 << 20
	// batchHeaderMax is the longest header: version, CRC, codec and two
	// uvarints.
	batchHeaderMax = 1 + 4 + 1 + 2*binary.MaxVarintLen64
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

var (
	zstdEncoder, _ = zstd.NewWriter(nil,
		zstd.WithEncoderConcurrency(1),
		zstd.WithEncoderLevel(zstd.SpeedFastest),
		zstd.WithWindowSize(1<<20),
		zstd.WithEncoderCRC(false)) // the batch has its own
	zstdDecoder, _ = zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(0),
		zstd.WithDecoderMaxMemory(foldBytes))
)

// batchChecksum is the CRC-32C of key and the value after the CRC field.
func batchChecksum(key, value []byte) uint32 {
	crc := crc32.Update(0, castagnoli, key)
	return crc32.Update(crc, castagnoli, value[5:])
}

// appendBody appends one record's framing and bytes to a batch body.
func appendBody(body, rec []byte) []byte {
	body = binary.AppendUvarint(body, uint64(len(rec)))
	return append(body, rec...)
}

// encodeBatch builds the value of a batch of count records stored under
// key, whose uncompressed body is body.
func encodeBatch(key []byte, count int, body []byte, compress bool) []byte {
	codec, stored := codecNone, body
	if compress {
		codec = codecZstd
		stored = zstdEncoder.EncodeAll(body, make([]byte, 0, len(body)/2))
	}
	v := make([]byte, 6, batchHeaderMax+len(stored))
	v[0], v[5] = batchV1, codec
	v = binary.AppendUvarint(v, uint64(count))
	v = binary.AppendUvarint(v, uint64(len(body)))
	v = append(v, stored...)
	binary.BigEndian.PutUint32(v[1:5], batchChecksum(key, v))
	return v
}

// batchHeader is a batch's header, checked against its CRC.
type batchHeader struct {
	codec  byte
	count  uint64
	rawLen uint64
	stored []byte // the body as stored; memory of the value
}

var errChecksum = errors.New("checksum mismatch")

// decodeBatchHeader verifies value's checksum and parses its header.
func decodeBatchHeader(key, value []byte) (batchHeader, error) {
	if len(value) < 6 {
		return batchHeader{}, fmt.Errorf("%w: batch of %d bytes", ErrCorruptRecord, len(value))
	}
	if value[0] != batchV1 {
		return batchHeader{}, fmt.Errorf("%w: unknown batch version %#x", ErrCorruptRecord, value[0])
	}
	if binary.BigEndian.Uint32(value[1:5]) != batchChecksum(key, value) {
		return batchHeader{}, fmt.Errorf("%w: %w", ErrCorruptRecord, errChecksum)
	}
	h := batchHeader{codec: value[5]}
	r := reader{buf: value[6:]}
	h.count, h.rawLen = r.uvarint(), r.uvarint()
	if r.err || h.count == 0 || h.count > h.rawLen ||
		(h.codec == codecNone && h.rawLen != uint64(len(r.buf))) ||
		(h.codec == codecZstd && h.rawLen > foldBytes) {
		return batchHeader{}, fmt.Errorf("%w: batch header", ErrCorruptRecord)
	}
	if h.codec != codecNone && h.codec != codecZstd {
		return batchHeader{}, fmt.Errorf("%w: unknown codec %d", ErrCorruptRecord, h.codec)
	}
	h.stored = r.buf
	return h, nil
}

// body returns the uncompressed body. For an uncompressed batch it is the
// value's own memory.
func (h batchHeader) body() ([]byte, error) {
	if h.codec == codecNone {
		return h.stored, nil
	}
	body, err := zstdDecoder.DecodeAll(h.stored, make([]byte, 0, h.rawLen))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorruptRecord, err)
	}
	if uint64(len(body)) != h.rawLen {
		return nil, fmt.Errorf("%w: body of %d bytes, header says %d", ErrCorruptRecord, len(body), h.rawLen)
	}
	return body, nil
}

// records calls fn with each framed record of a body, in order; fn must
// copy what it keeps. It fails if the body does not hold exactly count
// records.
func eachRecord(body []byte, count uint64, fn func(i uint64, rec []byte) error) error {
	r := reader{buf: body}
	for i := range count {
		n := r.uvarint()
		if r.err || n > uint64(len(r.buf)) {
			return fmt.Errorf("%w: record %d of %d truncated", ErrCorruptRecord, i, count)
		}
		if err := fn(i, r.buf[:n]); err != nil {
			return err
		}
		r.buf = r.buf[n:]
	}
	if len(r.buf) != 0 {
		return fmt.Errorf("%w: %d bytes after the last record", ErrCorruptRecord, len(r.buf))
	}
	return nil
}
