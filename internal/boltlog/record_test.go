package boltlog

import (
	"bytes"
	"errors"
	"maps"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"
)

// goldenV1 pins format version 1: a stored record must decode the same
// forever, so this test must never be edited, only joined by new versions.
var goldenV1 = []byte{
	0x01,           // version
	0x02, 'u', '1', // uuid
	0x02, // two metadata entries, sorted by key
	0x01, 'a', 0x01, '1',
	0x01, 'b', 0x03, 'x', 'y', 'z',
	'h', 'i', // payload
}

func goldenMessage() *message.Message {
	msg := message.NewMessage("u1", []byte("hi"))
	msg.Metadata.Set("b", "xyz")
	msg.Metadata.Set("a", "1")
	return msg
}

func TestEncodeRecordV1Golden(t *testing.T) {
	msg := goldenMessage()
	// Receive-side metadata describes a delivery and is never stored.
	msg.Metadata.Set(MetaReceivedOffset, "7")
	msg.Metadata.Set(MetaReceivedPartition, "0")
	if got := encodeRecord(nil, msg); !bytes.Equal(got, goldenV1) {
		t.Fatalf("encoded\n got % x\nwant % x", got, goldenV1)
	}
}

func TestDecodeRecordV1Golden(t *testing.T) {
	rec, err := decodeRecord(goldenV1)
	if err != nil {
		t.Fatal(err)
	}
	want := goldenMessage()
	if rec.uuid != want.UUID || !bytes.Equal(rec.payload, want.Payload) || !maps.Equal(rec.metadata, want.Metadata) {
		t.Fatalf("decoded %+v, want %s %q %v", rec, want.UUID, want.Payload, want.Metadata)
	}
}

func TestRecordRoundTripKeepsBytesExact(t *testing.T) {
	tests := []struct {
		name    string
		uuid    string
		meta    map[string]string
		payload []byte
	}{
		{"empty payload and metadata", "id", nil, []byte{}},
		{"binary payload", "id", nil, []byte{0, 1, 0xff, 0x80, '\n'}},
		{"empty uuid", "", map[string]string{"k": "v"}, []byte("x")},
		{"empty metadata value", "id", map[string]string{"k": ""}, []byte("x")},
		{"long values", string(bytes.Repeat([]byte("u"), 300)), map[string]string{"k": string(bytes.Repeat([]byte("v"), 70000))}, bytes.Repeat([]byte("p"), 1<<20)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := message.NewMessage(tt.uuid, tt.payload)
			for k, v := range tt.meta {
				msg.Metadata.Set(k, v)
			}
			rec, err := decodeRecord(encodeRecord(nil, msg))
			if err != nil {
				t.Fatal(err)
			}
			if rec.uuid != tt.uuid || !bytes.Equal(rec.payload, tt.payload) || !maps.Equal(rec.metadata, msg.Metadata) {
				t.Fatalf("round trip changed the message")
			}
		})
	}
}

func TestDecodeRecordRejectsCorruptInput(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"unknown version", []byte{0x02, 0x00, 0x00}},
		{"truncated uuid", []byte{0x01, 0x05, 'a'}},
		{"missing metadata count", []byte{0x01, 0x00}},
		{"metadata count beyond input", []byte{0x01, 0x00, 0x7f}},
		{"truncated metadata value", []byte{0x01, 0x00, 0x01, 0x01, 'k', 0x04, 'v'}},
		{"overlong varint", []byte{0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := decodeRecord(tt.in); !errors.Is(err, ErrCorruptRecord) {
				t.Fatalf("err = %v, want ErrCorruptRecord", err)
			}
		})
	}
}

func TestDeliveredCopiesAreIndependent(t *testing.T) {
	rec, err := decodeRecord(goldenV1)
	if err != nil {
		t.Fatal(err)
	}
	first := rec.message(2, 3)
	first.Payload[0] = 'X'
	first.Metadata.Set("a", "changed")
	second := rec.message(2, 3)
	if string(second.Payload) != "hi" || second.Metadata.Get("a") != "1" {
		t.Fatalf("redelivery saw a handler's mutation: %q %v", second.Payload, second.Metadata)
	}
	if second.Metadata.Get(MetaReceivedOffset) != "3" || second.Metadata.Get(MetaReceivedPartition) != "2" {
		t.Fatalf("receive metadata = %v", second.Metadata)
	}
}
