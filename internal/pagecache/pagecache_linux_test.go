package pagecache_test

import (
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/pizzeria/pizzeria/internal/pagecache"
	"github.com/pizzeria/pizzeria/internal/testkit"
)

// Reading a file maps its pages into the process; Drop lets go of them,
// and what was read reads the same afterwards.
func TestDropLetsGoOfWhatReadsMapped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "views.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	value := make([]byte, 64<<10)
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte("orders"))
		if err != nil {
			return err
		}
		for i := range 128 { // 8 MB that do not compress
			for j := range value {
				value[j] = byte(rng.Uint32())
			}
			if err := b.Put([]byte(strconv.Itoa(i)), value); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sum := func() (n int) {
		db.View(func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("orders")).ForEach(func(_, v []byte) error {
				for _, c := range v {
					n += int(c)
				}
				return nil
			})
		})
		return n
	}
	before := sum()
	if kb := testkit.MappedRSS(t, path); kb < 4096 {
		t.Fatalf("only %d kB resident after reading 8 MB: the test reads nothing", kb)
	}
	if err := db.View(func(tx *bolt.Tx) error { return pagecache.Drop(db, tx) }); err != nil {
		t.Fatal(err)
	}
	if kb := testkit.MappedRSS(t, path); kb > 1024 {
		t.Fatalf("%d kB of the file stay resident after Drop", kb)
	}
	if after := sum(); after != before {
		t.Fatalf("the file reads %d after Drop, %d before", after, before)
	}
}
