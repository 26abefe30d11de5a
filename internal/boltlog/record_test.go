package boltlog

import (
	"bytes"
	"errors"
	"maps"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"
)

// goldenRecord pins the record format: a stored record must decode the same
// forever, so this test must never be edited, only joined by new formats.
var goldenRecord = []byte{
	0x00, 0x02, 'u', '1', // uuid, a string
	0x04, // four metadata entries, sorted by key
	0x01, 'a', 0x00, 0x01, '1',
	0x01, 'b', 0x00, 0x03, 'x', 'y', 'z',
	0x01, 'c', 0x02, // same as the uuid
	0x01, 'd', 0x01, // a UUID in 16 bytes
	0x5b, 0x0f, 0x6d, 0x1e, 0x8c, 0x1a, 0x4f, 0x0e, 0x9a, 0x57, 0x2f, 0x1d, 0x3c, 0x6b, 0x9e, 0x40,
	'h', 'i', // payload
}

func goldenMessage() *message.Message {
	msg := message.NewMessage("u1", []byte("hi"))
	msg.Metadata.Set("b", "xyz")
	msg.Metadata.Set("a", "1")
	msg.Metadata.Set("c", "u1")
	msg.Metadata.Set("d", "5b0f6d1e-8c1a-4f0e-9a57-2f1d3c6b9e40")
	return msg
}

func TestEncodeRecordGolden(t *testing.T) {
	msg := goldenMessage()
	// Receive-side metadata describes a delivery and is never stored.
	msg.Metadata.Set(MetaReceivedOffset, "7")
	msg.Metadata.Set(MetaReceivedPartition, "0")
	if got := encodeRecord(nil, msg); !bytes.Equal(got, goldenRecord) {
		t.Fatalf("encoded\n got % x\nwant % x", got, goldenRecord)
	}
}

func TestDecodeRecordGolden(t *testing.T) {
	rec, err := decodeRecord(goldenRecord)
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
		{"uuid-like values", "5B0F6D1E-8C1A-4F0E-9A57-2F1D3C6B9E40", map[string]string{
			"upper":     "5B0F6D1E-8C1A-4F0E-9A57-2F1D3C6B9E40",
			"lower":     "5b0f6d1e-8c1a-4f0e-9a57-2f1d3c6b9e40",
			"braces":    "{5b0f6d1e-8c1a-4f0e-9a57-2f1d3c6b9e40}",
			"no dashes": "5b0f6d1e8c1a4f0e9a572f1d3c6b9e40",
			"bad dash":  "5b0f6d1e-8c1a-4f0e-9a57_2f1d3c6b9e40",
			"not hex":   "5b0f6d1e-8c1a-4f0e-9a57-2f1d3c6b9e4g",
		}, []byte("x")},
		{"uuid value repeats the message uuid", "a1b2c3d4-0000-4000-8000-000000000001", map[string]string{
			"event_id": "a1b2c3d4-0000-4000-8000-000000000001", "other": "a1b2c3d4-0000-4000-8000-000000000002",
		}, []byte("x")},
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
		{"unknown value tag", []byte{0x07, 0x00, 0x00}},
		{"truncated uuid", []byte{0x00, 0x05, 'a'}},
		{"truncated binary uuid", []byte{0x01, 0x5b, 0x0f}},
		{"missing metadata count", []byte{0x00, 0x00}},
		{"metadata count beyond input", []byte{0x00, 0x00, 0x7f}},
		{"truncated metadata value", []byte{0x00, 0x00, 0x01, 0x01, 'k', 0x00, 0x04, 'v'}},
		{"overlong varint", []byte{0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
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
	rec, err := decodeRecord(goldenRecord)
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
