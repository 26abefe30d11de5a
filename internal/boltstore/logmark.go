package boltstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"maps"
	"slices"

	bolt "go.etcd.io/bbolt"
)

var (
	ledgerMetaBucket = []byte("completion-ledger-meta")
	keyLogMark       = []byte("log")
)

// LogMark names the event log a store was built from, and how far that log
// reached when the store last saw it: the end offset of each partition of
// the topics the store is built from. A log only grows, so a log with the
// mark's id but a smaller end somewhere is a truncated or older copy.
type LogMark struct {
	ID   string
	Ends map[string][]uint64 // topic -> end offset per partition
}

// ErrCorruptLogMark: the stored log mark failed its checksum or did not
// decode.
var ErrCorruptLogMark = errors.New("damaged log mark")

// Encoding: id, uvarint topic count, per topic (sorted) its name, uvarint
// partition count and one uvarint end each; strings are uvarint length +
// bytes; CRC-32C last.
func (m LogMark) encode() []byte {
	b := appendStr(nil, m.ID)
	b = binary.AppendUvarint(b, uint64(len(m.Ends)))
	for _, topic := range slices.Sorted(maps.Keys(m.Ends)) {
		b = appendStr(b, topic)
		b = binary.AppendUvarint(b, uint64(len(m.Ends[topic])))
		for _, end := range m.Ends[topic] {
			b = binary.AppendUvarint(b, end)
		}
	}
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

func decodeLogMark(v []byte) (LogMark, error) {
	bad := func(why string) (LogMark, error) { return LogMark{}, fmt.Errorf("%w: %s", ErrCorruptLogMark, why) }
	if len(v) < 4 || crc32.Checksum(v[:len(v)-4], castagnoli) != binary.BigEndian.Uint32(v[len(v)-4:]) {
		return bad("checksum mismatch")
	}
	v = v[:len(v)-4]
	var (
		m  LogMark
		ok bool
	)
	if m.ID, v, ok = readStr(v); !ok {
		return bad("truncated")
	}
	uv := func() (uint64, bool) {
		n, k := binary.Uvarint(v)
		if k <= 0 {
			return 0, false
		}
		v = v[k:]
		return n, true
	}
	topics, ok := uv()
	if !ok || topics > uint64(len(v)) {
		return bad("truncated")
	}
	m.Ends = make(map[string][]uint64, topics)
	for range topics {
		var topic string
		if topic, v, ok = readStr(v); !ok {
			return bad("truncated")
		}
		n, ok := uv()
		if !ok || n > uint64(len(v)) {
			return bad("truncated")
		}
		ends := make([]uint64, n)
		for p := range ends {
			if ends[p], ok = uv(); !ok {
				return bad("truncated")
			}
		}
		m.Ends[topic] = ends
	}
	return m, nil
}

// LogMark is the log the ledger was built from, as SetLogMark recorded it;
// the zero LogMark if none was.
func (l *Ledger) LogMark() (LogMark, error) {
	var m LogMark
	err := Guard(l.db.Path(), func() error {
		return l.db.View(func(tx *bolt.Tx) (err error) {
			m, err = logMarkTx(tx)
			return err
		})
	})
	return m, err
}

// SetLogMark records the log the ledger is built from.
func (l *Ledger) SetLogMark(m LogMark) error {
	return Guard(l.db.Path(), func() error {
		return l.db.Update(func(tx *bolt.Tx) error {
			return tx.Bucket(ledgerMetaBucket).Put(keyLogMark, m.encode())
		})
	})
}

// FileLedgerLogMark reads the log mark of the closed ledger file at path.
func FileLedgerLogMark(path string) (LogMark, error) {
	var m LogMark
	err := Guard(path, func() error {
		db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: OpenTimeout})
		if err != nil {
			return err
		}
		defer db.Close()
		return db.View(func(tx *bolt.Tx) (err error) {
			m, err = logMarkTx(tx)
			return err
		})
	})
	if err != nil {
		return LogMark{}, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

func logMarkTx(tx *bolt.Tx) (LogMark, error) {
	b := tx.Bucket(ledgerMetaBucket)
	if b == nil {
		return LogMark{}, nil
	}
	v := b.Get(keyLogMark)
	if v == nil {
		return LogMark{}, nil
	}
	return decodeLogMark(v)
}
