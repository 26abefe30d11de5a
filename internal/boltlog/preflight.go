package boltlog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// bbolt's on-disk header formats, as far as preflight reads them. They are
// part of bbolt's file format (little endian on every platform Pizzeria
// runs on) and do not change between bbolt releases.
const (
	boltMagic        = 0xED0CDAED
	boltVersion      = 2
	boltPageHeader   = 16 // id uint64, flags uint16, count uint16, overflow uint32
	boltMetaSize     = 64 // magic, version, page size, flags, root bucket (16), freelist, pgid, txid, checksum
	boltFreelistFlag = 0x10
)

// preflight checks what bbolt trusts blindly when it opens a file, by
// reading it rather than mapping it: that a meta page is valid, that the
// file is as long as the meta page says, and that the freelist page it
// names is a freelist within the file. A file that fails would make bbolt
// fault or panic while opening, which leaves the file mapped and locked for
// the rest of the process. A missing file passes: bbolt creates it.
func preflight(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	size := fi.Size()
	if size == 0 {
		return fmt.Errorf("%w: %s is empty; remove it to start a new log, or restore it from a copy", ErrCorruptFile, path)
	}

	var meta boltMeta
	var metaErrs []error
	for i := range 2 {
		m, err := readMeta(f, i)
		if err != nil {
			metaErrs = append(metaErrs, fmt.Errorf("meta page %d: %w", i, err))
			continue
		}
		if m.txid >= meta.txid {
			meta = m
		}
	}
	if meta.pageSize == 0 {
		return fmt.Errorf("%w: %s: no valid meta page: %w", ErrCorruptFile, path, errors.Join(metaErrs...))
	}
	ps := int64(meta.pageSize)
	if need := int64(meta.pgid) * ps; size < need {
		return fmt.Errorf("%w: %s is %d bytes, its meta page says %d: the file was truncated", ErrCorruptFile, path, size, need)
	}
	if meta.freelist == noFreelist {
		return nil
	}
	if meta.freelist < 2 || meta.freelist >= meta.pgid {
		return fmt.Errorf("%w: %s: freelist at page %d of %d", ErrCorruptFile, path, meta.freelist, meta.pgid)
	}
	hdr := make([]byte, boltPageHeader+8)
	if _, err := f.ReadAt(hdr, int64(meta.freelist)*ps); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: %s: freelist page: %w", ErrCorruptFile, path, err)
	}
	flags := binary.LittleEndian.Uint16(hdr[8:])
	count := uint64(binary.LittleEndian.Uint16(hdr[10:]))
	overflow := uint64(binary.LittleEndian.Uint32(hdr[12:]))
	if count == 0xFFFF {
		count = binary.LittleEndian.Uint64(hdr[16:])
	}
	if binary.LittleEndian.Uint64(hdr) != meta.freelist || flags != boltFreelistFlag ||
		meta.freelist+overflow >= meta.pgid || count > (overflow+1)*uint64(ps)/8 {
		return fmt.Errorf("%w: %s: page %d is not a sound freelist page", ErrCorruptFile, path, meta.freelist)
	}
	return nil
}

const noFreelist = 0xffffffffffffffff

type boltMeta struct {
	pageSize uint32
	freelist uint64
	pgid     uint64
	txid     uint64
}

// readMeta reads and validates meta page i. Page 0 is at the start of the
// file; page 1 follows at the page size page 0 (or, if damaged, the
// operating system's) names.
func readMeta(f *os.File, i int) (boltMeta, error) {
	off := int64(0)
	if i == 1 {
		off = int64(os.Getpagesize())
		if m, err := readMeta(f, 0); err == nil {
			off = int64(m.pageSize)
		}
	}
	b := make([]byte, boltPageHeader+boltMetaSize)
	if _, err := f.ReadAt(b, off); err != nil {
		return boltMeta{}, err
	}
	m := b[boltPageHeader:]
	if binary.LittleEndian.Uint32(m[0:]) != boltMagic {
		return boltMeta{}, errors.New("not a bbolt file")
	}
	if binary.LittleEndian.Uint32(m[4:]) != boltVersion {
		return boltMeta{}, fmt.Errorf("bbolt version %d", binary.LittleEndian.Uint32(m[4:]))
	}
	h := fnv.New64a()
	_, _ = h.Write(m[:56])
	if h.Sum64() != binary.LittleEndian.Uint64(m[56:]) {
		return boltMeta{}, errors.New("checksum mismatch")
	}
	meta := boltMeta{
		pageSize: binary.LittleEndian.Uint32(m[8:]),
		freelist: binary.LittleEndian.Uint64(m[32:]),
		pgid:     binary.LittleEndian.Uint64(m[40:]),
		txid:     binary.LittleEndian.Uint64(m[48:]),
	}
	if meta.pageSize < 1024 || meta.pageSize > 1<<20 || meta.pageSize&(meta.pageSize-1) != 0 || meta.pgid < 4 {
		return boltMeta{}, fmt.Errorf("page size %d, %d pages", meta.pageSize, meta.pgid)
	}
	return meta, nil
}
